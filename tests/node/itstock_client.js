// The ITStock CRM's realtime client, as its seed writes it: connect with the license key in
// the connection's auth, emit `register-device` with the hardware id, listen for
// `force-update`. Prints one JSON line per thing that happens, for the Python test to read.
//   node itstock_client.js <url> <licenseKey> <hardwareId>
const { io } = require("socket.io-client");

const [url, licenseKey, hardwareId] = process.argv.slice(2);
const out = (event, data) => process.stdout.write(JSON.stringify({ event, data }) + "\n");

const socket = io(url, { transports: ["websocket"], auth: { licenseKey }, reconnection: false });
socket.on("connect", () => {
  socket.emit("register-device", hardwareId, (ack) => out("registered", ack));
});
socket.on("connect_error", (err) => out("connect_error", err.data || err.message));
socket.on("error", (data) => out("error", data));
socket.on("force-update", (data) => out("force-update", data));
socket.on("disconnect", (reason) => out("disconnect", reason));
setTimeout(() => process.exit(0), 30000);
