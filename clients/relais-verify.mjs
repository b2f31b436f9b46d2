// Reference verifier of Relais signatures for Node.js (>= 16), built-in `crypto` only.
// The same rules as clients/relais_verify.py; copy the functions into a client.
//
//   import { loadKeys, verifyManifest, verifyLicenseFile } from "./relais-verify.mjs";
//   const keys = loadKeys(await (await fetch(`${server}/api/v1/keys`)).json());
//   const manifest = verifyManifest(checkResponse, keys, { state, product: "itstock-crm" });
//
// As a command (used by the tests), printing {"ok": true, ...} or {"ok": false, "code": ...}:
//   node relais-verify.mjs manifest <keys.json> <body.json> [<lastSerial> [<nowISO>]]
//   node relais-verify.mjs license <keys.json> <file.lic> <product> <hardwareId> [<nowISO>]
import { createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";

const MANIFEST_TYPE = "relais.update-manifest/v1";
const LICENSE_FILE_TYPE = "relais.license-file/v1";
const BEGIN = "-----BEGIN LICENSE FILE-----";
const END = "-----END LICENSE FILE-----";

export class VerificationError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

export function loadKeys(jwks) {
  const keys = new Map();
  for (const jwk of jwks.keys ?? jwks) {
    if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") continue;
    keys.set(jwk.kid, {
      key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" }),
      notBefore: jwk.notBefore ? new Date(jwk.notBefore) : null,
      notAfter: jwk.notAfter ? new Date(jwk.notAfter) : null,
    });
  }
  return keys;
}

export function verifySigned(data, signatureB64, kid, keys, now = new Date()) {
  const entry = keys.get(kid);
  if (!entry) throw new VerificationError("UNKNOWN_KID", `no trusted key has the id ${kid}`);
  if (entry.notAfter && now >= entry.notAfter) throw new VerificationError("KEY_EXPIRED", kid);
  if (entry.notBefore && now < entry.notBefore) throw new VerificationError("KEY_NOT_YET_VALID", kid);
  const signature = Buffer.from(signatureB64, "base64");
  // Ed25519 takes no digest name: the algorithm is the key's.
  if (signature.length !== 64 || !verify(null, data, entry.key, signature)) {
    throw new VerificationError("BAD_SIGNATURE", "the signature does not match the data");
  }
}

function parse(data, type) {
  let doc;
  try {
    doc = JSON.parse(data.toString("utf8"));
  } catch {
    throw new VerificationError("MALFORMED", "the signed data is not JSON");
  }
  if (!doc || doc.type !== type) throw new VerificationError("WRONG_TYPE", `not a ${type}`);
  return doc;
}

const COPIES = {
  version: "version", latestVersion: "version", checksum: "sha256", sha256: "sha256",
  size: "size", fileSize: "size", mandatory: "mandatory",
};

export function verifyManifest(body, keys, { state, product, tenant, now = new Date() } = {}) {
  if (typeof body?.manifest !== "string") throw new VerificationError("MALFORMED", "not signed");
  const data = Buffer.from(body.manifest, "utf8");
  verifySigned(data, body.signature, body.kid, keys, now);
  const manifest = parse(data, MANIFEST_TYPE);
  if (now >= new Date(manifest.expiresAt)) {
    throw new VerificationError("MANIFEST_EXPIRED", `expired at ${manifest.expiresAt}`);
  }
  if (product !== undefined && manifest.product !== product) {
    throw new VerificationError("PRODUCT_MISMATCH", manifest.product);
  }
  if (tenant !== undefined && manifest.tenant !== null && manifest.tenant !== tenant) {
    throw new VerificationError("TENANT_MISMATCH", "for another tenant");
  }
  for (const [field, signed] of Object.entries(COPIES)) {
    if (field in body && body[field] !== manifest[signed]) {
      throw new VerificationError("MISMATCH", `${field} differs from the signed manifest`);
    }
  }
  if (state) {
    const seen = state[manifest.product] ?? -1;
    if (manifest.serial < seen) {
      throw new VerificationError("ROLLBACK", `serial ${manifest.serial} < ${seen}`);
    }
    state[manifest.product] = manifest.serial;
  }
  return manifest;
}

export function verifyLicenseFile(text, keys, { product, hardwareId, allowUnbound = false, now = new Date() }) {
  text = text.trim();
  if (!text.startsWith(BEGIN) || !text.endsWith(END)) {
    throw new VerificationError("MALFORMED", "not a license file");
  }
  let envelope;
  try {
    envelope = JSON.parse(Buffer.from(text.slice(BEGIN.length, -END.length), "base64").toString("utf8"));
  } catch {
    throw new VerificationError("MALFORMED", "unreadable license file");
  }
  if (envelope.alg !== "EdDSA") throw new VerificationError("MALFORMED", "unsupported algorithm");
  const data = Buffer.from(envelope.data, "base64");
  verifySigned(data, envelope.sig, envelope.kid, keys, now);
  const license = parse(data, LICENSE_FILE_TYPE);
  if (license.product !== product) throw new VerificationError("PRODUCT_MISMATCH", license.product);
  if (license.device === null) {
    if (!allowUnbound) throw new VerificationError("DEVICE_MISMATCH", "not bound to a device");
  } else if (license.device.hardwareId !== hardwareId) {
    throw new VerificationError("DEVICE_MISMATCH", "the file is for another device");
  }
  if (now >= new Date(license.validUntil)) {
    throw new VerificationError("LICENSE_FILE_EXPIRED", `valid until ${license.validUntil}`);
  }
  return license;
}

function main([command, keysPath, ...args]) {
  const keys = loadKeys(JSON.parse(readFileSync(keysPath, "utf8")));
  try {
    if (command === "manifest") {
      const [bodyPath, lastSerial, nowText] = args;
      const body = JSON.parse(readFileSync(bodyPath, "utf8"));
      const state = {};
      const now = nowText ? new Date(nowText) : new Date();
      if (lastSerial !== undefined && lastSerial !== "") {
        state[JSON.parse(body.manifest).product] = Number(lastSerial);
      }
      return { ok: true, manifest: verifyManifest(body, keys, { state, now }) };
    }
    if (command === "license") {
      const [filePath, product, hardwareId, nowText] = args;
      const now = nowText ? new Date(nowText) : new Date();
      const text = readFileSync(filePath, "utf8");
      return { ok: true, license: verifyLicenseFile(text, keys, { product, hardwareId, now }) };
    }
    return { ok: false, code: "USAGE" };
  } catch (error) {
    if (error instanceof VerificationError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = main(process.argv.slice(2));
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(result.ok ? 0 : 1);
}
