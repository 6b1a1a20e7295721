// One UDP ASSOCIATE through a SOCKS5 proxy with the 'socks' package, the way its README shows:
//   node associate.js PROXY_HOST PROXY_PORT TARGET_HOST TARGET_PORT PAYLOAD
// Sends PAYLOAD to the target through the relay and prints "SENDER_HOST SENDER_PORT PAYLOAD_BACK".
'use strict';
const dgram = require('dgram');
const { SocksClient } = require('socks');

const [proxyHost, proxyPort, targetHost, targetPort, payload] = process.argv.slice(2);
const family = proxyHost.includes(':') ? 'udp6' : 'udp4';
const udp = dgram.createSocket(family);
const deadline = setTimeout(() => {
  console.error('timed out waiting for the echo');
  process.exit(2);
}, 30000);

udp.on('error', (err) => {
  console.error(`udp error: ${err.message}`);
  process.exit(1);
});

udp.bind(0, proxyHost, () => {
  // createConnection() is for 'connect' only; associate uses an instance and its 'established' event.
  const client = new SocksClient({
    proxy: { host: proxyHost, port: Number(proxyPort), type: 5 },
    command: 'associate',
    // The address the client will send from: its real UDP port, as the README suggests.
    destination: { host: family === 'udp6' ? '::' : '0.0.0.0', port: udp.address().port },
    timeout: 30000,
  });
  client.on('error', (err) => {
    console.error(`associate failed: ${err.message}`);
    process.exit(1);
  });
  client.on('established', (info) => relay(info));
  client.connect();
});

function relay(info) {
  udp.on('message', (message) => {
    const frame = SocksClient.parseUDPFrame(message);
    console.log(`${frame.remoteHost.host} ${frame.remoteHost.port} ${frame.data.toString()}`);
    clearTimeout(deadline);
    info.socket.end();
    udp.close();
  });

  const frame = SocksClient.createUDPFrame({
    remoteHost: { host: targetHost, port: Number(targetPort) },
    data: Buffer.from(payload),
  });
  udp.send(frame, info.remoteHost.port, info.remoteHost.host);
}
