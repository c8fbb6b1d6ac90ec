import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const SIGNING = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]) };
const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends KeyPairPem {
  /** Issues a certificate signed by this CA. */
  issue(request: IssueRequest): Promise<KeyPairPem>;
}

export interface IssueRequest {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: "server" | "client" | "both";
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey({ ...SIGNING, modulusLength: 2048 }, true, ["sign", "verify"]);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

function subjectName(commonName: string, organizations: string[] = []): string {
  // x509 names are written most-significant first; escape the separators a name may contain.
  const escapeValue = (value: string) => value.replace(/([,+="\\<>;])/g, "\\$1");
  return [...organizations.map((o) => `O=${escapeValue(o)}`), `CN=${escapeValue(commonName)}`].join(", ");
}

function serialNumber(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(12))).toString("hex");
}

/** A throwaway certificate authority for one control plane or one test. */
export async function createCertificateAuthority(commonName: string): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: subjectName(commonName),
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 10 * YEAR_MS),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return authority(caCert, keys.privateKey, await privateKeyPem(keys.privateKey));
}

/** The certificate authority whose certificate and PKCS#8 key a control plane left on disk. */
export async function loadCertificateAuthority(
  certPem: string,
  keyPem: string,
): Promise<CertificateAuthority> {
  const privateKey = await webcrypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(keyPem),
    { name: SIGNING.name, hash: SIGNING.hash },
    true,
    ["sign"],
  );
  return authority(new x509.X509Certificate(certPem), privateKey, keyPem);
}

function authority(caCert: x509.X509Certificate, caKey: CryptoKey, caKeyPem: string): CertificateAuthority {
  const issue = async (request: IssueRequest): Promise<KeyPairPem> => {
    const now = Date.now();
    const leafKeys = await generateKeys();
    const usages: string[] = [];
    if (request.usage !== "client") usages.push(x509.ExtendedKeyUsage.serverAuth);
    if (request.usage !== "server") usages.push(x509.ExtendedKeyUsage.clientAuth);
    const altNames = [
      ...(request.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
      ...(request.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
    ];
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(usages),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ];
    if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: subjectName(request.commonName, request.organizations),
      issuer: caCert.subject,
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + YEAR_MS),
      signingAlgorithm: SIGNING,
      publicKey: leafKeys.publicKey,
      signingKey: caKey,
      extensions,
    });
    return { certPem: cert.toString("pem"), keyPem: await privateKeyPem(leafKeys.privateKey) };
  };

  return { certPem: caCert.toString("pem"), keyPem: caKeyPem, issue };
}

/** An RSA key pair as PEM (PKCS#8 private, SPKI public), for service-account token signing. */
export async function createSigningKeyPair(): Promise<{ privatePem: string; publicPem: string }> {
  const keys = await generateKeys();
  const spki = await webcrypto.subtle.exportKey("spki", keys.publicKey);
  return {
    privatePem: await privateKeyPem(keys.privateKey),
    publicPem: x509.PemConverter.encode(spki, "PUBLIC KEY"),
  };
}
