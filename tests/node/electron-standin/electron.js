// A stand-in for the `electron` module, enough for electron-updater to run in plain Node
// (as seed 000's acceptance client runs its UpdateManager outside Electron): `app` is a
// packaged app whose version, name and paths come from the environment, and `net.request`
// is Node's http/https (electron-updater's ElectronHttpExecutor calls it with Node-style
// options and listens for "response"; Node reports a redirect as a 3xx response, which
// builder-util-runtime's executor follows itself). Nothing here touches the update logic.
const { EventEmitter } = require("events");
const http = require("http");
const https = require("https");
const path = require("path");

const env = process.env;
const app = new EventEmitter();
Object.assign(app, {
  isPackaged: true,
  getVersion: () => env.STANDIN_APP_VERSION,
  getName: () => env.STANDIN_APP_NAME || "viewer",
  getAppPath: () => env.STANDIN_APP_DIR,
  getPath: (name) => path.join(env.STANDIN_APP_DIR, name),
  whenReady: () => Promise.resolve(),
  quit: () => app.emit("quit", {}, 0),
  relaunch: () => {},
});

const net = {
  request(options) {
    const { session, redirect, ...rest } = options;
    return (rest.protocol === "https:" ? https : http).request(rest);
  },
};

const session = { fromPartition: () => ({}) };

module.exports = {
  app,
  net,
  session,
  autoUpdater: new EventEmitter(),
  Notification: class {
    show() {}
  },
};
