#!/usr/bin/env node
// sqslite-server.js starts sqslite, an in-memory SQS emulator that checks
// queue names, FIFO rules, attributes and dead-letter targets as SQS does,
// on a free loopback port chosen by the system, and prints one JSON line,
// {"port": N}, once it listens. It speaks SQS's query protocol (form-encoded
// POST /, XML answers). It stops when its standard input closes, so that it
// never outlives the test that started it.
//
// Usage: node sqslite-server.js < pipe
'use strict'

const sqslite = require('sqslite')

const server = sqslite({ logger: false })

server.listen(0, '127.0.0.1', (err) => {
  if (err) {
    console.error(`sqslite-server: ${err.message}`)
    process.exit(1)
  }
  process.stdout.write(JSON.stringify({ port: server.server.address().port }) + '\n')
})

process.stdin.on('end', () => server.close(() => process.exit(0)))
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()
