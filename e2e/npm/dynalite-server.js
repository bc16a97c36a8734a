#!/usr/bin/env node
// dynalite-server.js starts dynalite, an in-memory DynamoDB emulator, on a
// free loopback port chosen by the system, and prints one JSON line,
// {"port": N}, once it listens. It stops when its standard input closes, so
// that it never outlives the test that started it.
//
// Usage: node dynalite-server.js < pipe
'use strict'

const dynalite = require('dynalite')

// Tables become ACTIVE at once: the tests only create them.
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })

server.on('error', (err) => {
  console.error(`dynalite-server: ${err.message}`)
  process.exit(1)
})

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n')
})

process.stdin.on('end', () => server.close(() => process.exit(0)))
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()
