// The test push endpoint decrypts as a browser does; checked against web-push's own encryption.
import { createECDH, randomBytes } from "node:crypto";
import webpush from "web-push";
import { describe, expect, it } from "vitest";
import { decryptAes128gcm } from "../helpers/push-endpoint.ts";

function browserKeys() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const authSecret = randomBytes(16);
  return { ecdh, authSecret, p256dh: ecdh.getPublicKey().toString("base64url"), auth: authSecret.toString("base64url") };
}

describe("aes128gcm decryption (RFC 8291) of the test push endpoint", () => {
  it("recovers exactly what web-push encrypted for the subscription, for payloads up to the 4 KB record", () => {
    const ua = browserKeys();
    for (const text of ["{}", JSON.stringify({ title: "Pay the rent ✓", body: "ünïcødé 🎉" }), "x".repeat(3_993)]) {
      const { cipherText } = webpush.encrypt(ua.p256dh, ua.auth, text, "aes128gcm");
      expect(decryptAes128gcm(cipherText, ua).toString("utf8")).toBe(text);
    }
  });

  it("reads the header web-push writes: a fresh salt, record size 4096 and the sender's 65-byte key", () => {
    const ua = browserKeys();
    const first = webpush.encrypt(ua.p256dh, ua.auth, "a", "aes128gcm").cipherText;
    const second = webpush.encrypt(ua.p256dh, ua.auth, "a", "aes128gcm").cipherText;
    expect(first.readUInt32BE(16)).toBe(4096);
    expect(first[20]).toBe(65);
    expect(first.subarray(0, 16).equals(second.subarray(0, 16))).toBe(false);
  });

  it("fails on a flipped ciphertext bit, as AES-GCM authentication must", () => {
    const ua = browserKeys();
    const { cipherText } = webpush.encrypt(ua.p256dh, ua.auth, "secret", "aes128gcm");
    cipherText[cipherText.length - 20]! ^= 1;
    expect(() => decryptAes128gcm(cipherText, ua)).toThrow(/unable to authenticate|auth/i);
  });

  it("fails with another subscription's auth secret or private key", () => {
    const ua = browserKeys();
    const other = browserKeys();
    const { cipherText } = webpush.encrypt(ua.p256dh, ua.auth, "secret", "aes128gcm");
    expect(() => decryptAes128gcm(cipherText, { ecdh: ua.ecdh, authSecret: other.authSecret })).toThrow();
    expect(() => decryptAes128gcm(cipherText, { ecdh: other.ecdh, authSecret: ua.authSecret })).toThrow();
  });

  it("refuses a body shorter than the header", () => {
    expect(() => decryptAes128gcm(Buffer.alloc(10), browserKeys())).toThrow(/shorter than the aes128gcm header/);
  });
});
