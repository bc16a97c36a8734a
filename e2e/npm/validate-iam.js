#!/usr/bin/env node
// validate-iam.js validates IAM policy documents offline with
// @cloud-copilot/iam-policy. It reads one JSON object per line on standard
// input,
//
//   {"id": "...", "type": "identity" | "trust", "document": "<policy JSON>"}
//
// and prints one line per input line, in the same order,
//
//   {"id": "...", "errors": [{"path": "...", "message": "..."}]}
//
// with an empty list for a valid document. "identity" is a policy attached
// to a principal (an IAM managed policy), "trust" a role's trust policy. A
// document that is not JSON is reported as an error of path "".
'use strict'

const readline = require('node:readline')
const { validateIdentityPolicy, validateTrustPolicy } = require('@cloud-copilot/iam-policy')

const validators = { identity: validateIdentityPolicy, trust: validateTrustPolicy }

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
let failed = false

rl.on('line', (line) => {
  if (line.trim() === '') return
  let req
  try {
    req = JSON.parse(line)
  } catch (err) {
    console.error(`validate-iam: input line is not JSON: ${err.message}`)
    failed = true
    return
  }
  const validate = validators[req.type]
  if (!validate) {
    console.error(`validate-iam: ${req.id}: unknown type ${JSON.stringify(req.type)}; want identity or trust`)
    failed = true
    return
  }
  let errors
  try {
    errors = validate(JSON.parse(req.document)).map((e) => ({ path: e.path, message: e.message }))
  } catch (err) {
    errors = [{ path: '', message: `not a JSON policy document: ${err.message}` }]
  }
  process.stdout.write(JSON.stringify({ id: req.id, errors }) + '\n')
})

rl.on('close', () => process.exit(failed ? 2 : 0))
