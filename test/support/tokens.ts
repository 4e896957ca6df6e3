import { SignJWT } from "jose";

/** A user token as the service issues them (HS256, issuer hongbao), signed with `secret`: forged when it is not ours. */
export function signToken(claims: { sub: string; iat: number; exp: number }, secret: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("hongbao")
    .setSubject(claims.sub)
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .sign(new TextEncoder().encode(secret));
}
