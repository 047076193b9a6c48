// Loaded with `node -r` before kinesis-local, which listens on every interface: force loopback,
// so a local run or a test is never reachable from the network.
const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (args[0] !== null && typeof args[0] === 'object') {
    args[0] = Object.assign({}, args[0], { host: '127.0.0.1' });
  } else if (typeof args[1] === 'string') {
    args[1] = '127.0.0.1';
  } else if (typeof args[0] === 'number' || typeof args[0] === 'string') {
    args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};

// Exit when the JVM that started us is gone (killed without running its shutdown hooks), so no
// stand-in outlives the run that needed it.
const parent = process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch (e) {
    process.exit(0);
  }
}, 2000).unref();
