'use strict';
// BIND through a SOCKS proxy with the `socks` npm package, playing both ends:
// the client asks for BIND, and on 'bound' this script also plays the peer (an application
// server connecting back to the announced address). Data goes both ways; the script prints
//   bound HOST PORT / established HOST PORT / peer LOCALHOST LOCALPORT / up OK|BAD / down OK|BAD
// and exits 0 only when both payloads arrived intact and the second reply named the peer.
// Usage: node bind.js PROXY_HOST PROXY_PORT 4|5 DEST_HOST PAYLOAD_BYTES
const net = require('net');
const crypto = require('crypto');
const { SocksClient } = require('socks');

const [proxyHost, proxyPort, type, destHost, length] = process.argv.slice(2);
const up = crypto.randomBytes(Number(length));
const down = crypto.randomBytes(Number(length));
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

// Bounded: the test runner kills us later, but a clear message is better than a kill.
const timer = setTimeout(() => fail('timed out'), 60000);
function fail(message) {
  console.error(message);
  process.exit(2);
}

let peerLocal = null;
let established = null;
let results = {};
function finish(side, data, expected) {
  results[side] = sha(data) === sha(expected) ? 'OK' : `BAD (${data.length} bytes)`;
  if (results.up && results.down) {
    console.log(`peer ${peerLocal.host} ${peerLocal.port}`);
    console.log(`up ${results.up}`);
    console.log(`down ${results.down}`);
    clearTimeout(timer);
    const named = sameAddress(established.host, peerLocal.host) && established.port === peerLocal.port;
    if (!named) console.error('second reply did not name the peer');
    process.exit(results.up === 'OK' && results.down === 'OK' && named ? 0 : 1);
  }
}

// `socks` prints IPv6 fully expanded ("0000:...:0001"), node's socket compressed ("::1").
function sameAddress(a, b) {
  const family = net.isIPv6(a) ? 'ipv6' : 'ipv4';
  if ((net.isIPv6(b) ? 'ipv6' : 'ipv4') !== family) return false;
  const list = new net.BlockList();
  list.addAddress(a, family);
  return list.check(b, family);
}

function collect(socket, onEnd) {
  const chunks = [];
  socket.on('data', (c) => chunks.push(c));
  socket.on('end', () => onEnd(Buffer.concat(chunks)));
  socket.on('error', (e) => fail(`socket error: ${e.message}`));
}

const client = new SocksClient({
  proxy: { host: proxyHost, port: Number(proxyPort), type: Number(type) },
  command: 'bind',
  destination: { host: destHost, port: 0 },
  timeout: 30000,
});

client.on('error', (e) => fail(`socks error: ${e.message}`));

client.on('bound', (info) => {
  const { host, port } = info.remoteHost;
  console.log(`bound ${host} ${port}`);
  const peer = net.connect({ host, port }, () => {
    peerLocal = { host: peer.localAddress, port: peer.localPort };
    peer.end(down);
  });
  collect(peer, (data) => finish('up', data, up));
});

client.on('established', (info) => {
  established = info.remoteHost;
  console.log(`established ${established.host} ${established.port}`);
  info.socket.end(up);
  collect(info.socket, (data) => finish('down', data, down));
});

client.connect();
