// electron-updater (the npm package, unmodified) as a packaged Linux app runs it: an
// AppImage on version STANDIN_APP_VERSION whose app-update.yml (what electron-builder
// writes into resources/) names Relais' generic feed. `require("electron")` resolves to the
// stand-in in ./electron-standin. Prints one JSON line per updater event for the Python test.
//   node electron_updater_client.js <feedUrl> <credential|-> <workDir> <oldAppImage>
const fs = require("fs");
const Module = require("module");
const path = require("path");

const [feedUrl, credential, workDir, oldAppImage] = process.argv.slice(2);
const standin = path.join(__dirname, "electron-standin", "electron.js");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === "electron" ? standin : resolve.call(this, request, ...rest);
};

const out = (event, data) => process.stdout.write(JSON.stringify({ event, data }) + "\n");

process.resourcesPath = path.join(workDir, "resources");
fs.mkdirSync(process.resourcesPath, { recursive: true });
fs.writeFileSync(
  path.join(process.resourcesPath, "app-update.yml"),
  `provider: generic\nurl: ${feedUrl}\nupdaterCacheDirName: viewer-updater\n`,
);
process.env.STANDIN_APP_DIR = workDir;
process.env.APPIMAGE = oldAppImage; // the running AppImage: AppImageUpdater's "installed" file
process.env.XDG_CACHE_HOME = path.join(workDir, "cache");

const { autoUpdater } = require("electron-updater");
autoUpdater.logger = { info() {}, warn() {}, error: (m) => out("log-error", String(m)), debug() {} };
autoUpdater.autoDownload = false;
autoUpdater.autoInstallOnAppQuit = false;
// AppImages carry their blockmap inside the file; Relais serves no blockmap (yet): full download.
autoUpdater.disableDifferentialDownload = true;
if (credential !== "-") autoUpdater.requestHeaders = { Authorization: `Bearer ${credential}` };

autoUpdater.on("update-available", (info) => out("update-available", info));
autoUpdater.on("update-not-available", (info) => out("update-not-available", info));
autoUpdater.on("update-downloaded", (info) => out("update-downloaded", info));
autoUpdater.on("error", (err) => out("error", { message: err.message, code: err.code }));

(async () => {
  try {
    const result = await autoUpdater.checkForUpdates();
    out("checked", { isUpdateAvailable: result.isUpdateAvailable, version: result.updateInfo.version });
    if (result.isUpdateAvailable) {
      const files = await autoUpdater.downloadUpdate();
      out("downloaded", { files });
    }
  } catch (err) {
    out("failed", { message: err.message, code: err.code });
  }
  out("done", null);
  process.exit(0); // a kept-alive socket (S3's) would hold the event loop open
})();
