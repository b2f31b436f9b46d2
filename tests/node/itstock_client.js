// The ITStock CRM's realtime client, as its seed writes it: connect, emit `register-device`
// with the hardware id, listen for `force-update`. Prints one JSON line per thing that
// happens, for the Python test to read.
//   node itstock_client.js <url> <licenseKey> <hardwareId> [auth|query|header|event]
// Where the license key goes: the connection's auth (default), the handshake's query
// string, its Authorization header, or the `register-device` event itself.
const { io } = require("socket.io-client");

const [url, licenseKey, hardwareId, mode = "auth"] = process.argv.slice(2);
const out = (event, data) => process.stdout.write(JSON.stringify({ event, data }) + "\n");

const options = { transports: ["websocket"], reconnection: false };
if (mode === "auth") options.auth = { licenseKey };
if (mode === "query") options.query = { licenseKey };
if (mode === "header") options.extraHeaders = { Authorization: `Bearer ${licenseKey}` };
const registration = mode === "event" ? { hardwareId, licenseKey } : hardwareId;

const socket = io(url, options);
socket.on("connect", () => {
  socket.emit("register-device", registration, (ack) => out("registered", ack));
});
socket.on("connect_error", (err) => out("connect_error", err.data || err.message));
socket.on("error", (data) => out("error", data));
socket.on("force-update", (data) => out("force-update", data));
socket.on("disconnect", (reason) => out("disconnect", reason));
setTimeout(() => process.exit(0), 30000);
