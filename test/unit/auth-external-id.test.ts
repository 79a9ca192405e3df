// External identities map to users.id by UUIDv5 of (issuer, subject).
import { describe, expect, it } from "vitest";
import { externalUserId } from "../../src/auth/external-idp.ts";
import { canonicalUuid } from "../../src/db/ids.ts";

describe("external user ids", () => {
  it("are stable RFC 4122 version-5 UUIDs", () => {
    const id = externalUserId("https://idp.example/", "auth0|123");
    expect(canonicalUuid(id)).toBe(id);
    expect(id[14]).toBe("5");
    expect(["8", "9", "a", "b"]).toContain(id[19]);
    expect(externalUserId("https://idp.example/", "auth0|123")).toBe(id);
  });

  it("keep equal subjects of different issuers apart, and can't be forged by moving a separator", () => {
    const ids = [
      externalUserId("https://a.example/", "42"),
      externalUserId("https://b.example/", "42"),
      externalUserId("https://a.example/4", "2"),
      externalUserId("https://a.example/", "43"),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("take subjects of any shape, dots and spaces included", () => {
    expect(canonicalUuid(externalUserId("", "user.with dots*and>subject-chars"))).not.toBeNull();
  });
});
