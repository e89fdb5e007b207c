#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// gRPC client peer for KeyCustody.Grpc interop tests, on @grpc/grpc-js and @grpc/proto-loader.
//
//   node node_peer.js --target HOST:PORT --proto-root DIR [--ca PEM --cert PEM --key PEM] --scenario NAME [options]
//
// Runs one scenario against the server under test and prints one JSON line.
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function parseArgs(argv) {
  const args = { code: 0, message: '', timeout: 1.0, count: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    args[key] = argv[i + 1];
  }
  args.code = Number(args.code);
  args.timeout = Number(args.timeout);
  args.count = Number(args.count);
  return args;
}

function metadataObject(metadata) {
  const result = {};
  if (!metadata) return result;
  for (const [key, values] of Object.entries(metadata.getMap())) {
    result[key] = Buffer.isBuffer(values) ? values.toString('hex') : String(values);
  }
  return result;
}

function errorResult(error, extra) {
  return Object.assign({
    ok: false,
    code: grpc.status[error.code] !== undefined ? grpc.status[error.code] : String(error.code),
    details: error.details,
    trailers: metadataObject(error.metadata),
  }, extra || {});
}

function deadlineIn(seconds) {
  return new Date(Date.now() + seconds * 1000);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const definition = protoLoader.loadSync(
    [path.join(__dirname, 'echo.proto'), 'grpc/health/v1/health.proto'],
    { keepCase: true, longs: String, enums: String, defaults: true, includeDirs: [__dirname, args.protoRoot] });
  const loaded = grpc.loadPackageDefinition(definition);
  const credentials = args.ca
    ? grpc.credentials.createSsl(
      fs.readFileSync(args.ca),
      args.key ? fs.readFileSync(args.key) : null,
      args.cert ? fs.readFileSync(args.cert) : null)
    : grpc.credentials.createInsecure();
  const echo = new loaded.keycustody.test.v1.EchoService(args.target, credentials);
  const health = new loaded.grpc.health.v1.Health(args.target, credentials);
  const generous = 60;

  const unary = (client, method, request, options, metadata) => new Promise((resolve) => {
    let trailers = null;
    const call = client[method](request, metadata || new grpc.Metadata(), options, (error, response) => {
      // The status event (with trailers) can follow the callback; give it a turn of the event loop.
      setImmediate(() => resolve({ error, response, trailers }));
    });
    call.on('status', (status) => { trailers = status.metadata; });
  });

  const stream = (request, options) => new Promise((resolve) => {
    const indexes = [];
    const call = echo.EchoStream(request, new grpc.Metadata(), options);
    call.on('data', (response) => indexes.push(response.index));
    call.on('error', (error) => resolve(errorResult(error, { indexes })));
    call.on('end', () => resolve({ ok: true, indexes }));
  });

  let result;
  switch (args.scenario) {
    case 'unary': {
      const metadata = new grpc.Metadata();
      metadata.add('x-echo-header', 'node-header');
      metadata.add('x-echo-bin', Buffer.from([0, 1, 0xfe, 0xff]));
      const { error, response, trailers } = await unary(echo, 'Echo',
        { text: 'from node', trailer_value: 'node-trailer' }, { deadline: deadlineIn(generous) }, metadata);
      result = error ? errorResult(error) : {
        ok: true,
        text: response.text,
        header: response.header_value,
        header_bin: response.header_bin_hex,
        caller: response.caller_subject,
        caller_uris: response.caller_uris,
        transport: response.transport,
        trailers: metadataObject(trailers),
      };
      break;
    }
    case 'error':
    case 'deadline':
    case 'unhandled': {
      const request = args.scenario === 'error' ? { fail_code: args.code, fail_message: args.message }
        : args.scenario === 'deadline' ? { wait_for_cancellation: true } : { throw_unhandled: true };
      const seconds = args.scenario === 'deadline' ? args.timeout : generous;
      const { error } = await unary(echo, 'Echo', request, { deadline: deadlineIn(seconds) });
      result = error ? errorResult(error) : { ok: true };
      break;
    }
    case 'stream':
      result = await stream({ text: 's', count: args.count }, { deadline: deadlineIn(generous) });
      break;
    case 'stream-error':
      result = await stream({ count: args.count, fail_code: args.code, fail_message: args.message }, { deadline: deadlineIn(generous) });
      break;
    case 'stream-deadline':
      result = await stream({ count: args.count, wait_for_cancellation: true }, { deadline: deadlineIn(args.timeout) });
      break;
    case 'health': {
      const { error, response } = await unary(health, 'Check', { service: '' }, { deadline: deadlineIn(generous) });
      result = error ? errorResult(error) : { ok: true, status: response.status };
      break;
    }
    case 'unimplemented': {
      const client = new grpc.Client(args.target, credentials);
      const error = await new Promise((resolve) => {
        client.makeUnaryRequest('/keycustody.test.v1.EchoService/NoSuchMethod', (x) => x, (x) => x, Buffer.alloc(0),
          new grpc.Metadata(), { deadline: deadlineIn(generous) }, (err) => resolve(err));
      });
      result = error ? errorResult(error) : { ok: true };
      client.close();
      break;
    }
    default:
      throw new Error('unknown scenario ' + args.scenario);
  }

  echo.close();
  health.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + '\n');
  process.exit(1);
});
