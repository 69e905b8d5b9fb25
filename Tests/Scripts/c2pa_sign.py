#!/usr/bin/env python3
"""Signs a PNG with real C2PA Content Credentials, and checks a file's credentials, for Folio's tests.

Needs the Python standard library, `c2pa-python` from PyPI (`pip install c2pa-python==0.38.1`;
`.ci/run` and the README install it into a venv) and Debian's `openssl` command.

    c2pa_sign.py sign IN.png OUT.png   sign IN into OUT with a throwaway certificate
    c2pa_sign.py verify FILE           read FILE's credentials and print one JSON line

`sign` makes a fresh certificate chain with `openssl` in a temporary folder every time (nothing is
kept, nothing is trusted): a self-signed test CA (P-256, CA:TRUE, keyCertSign) and an end-entity
ES256 (P-256) certificate issued by it, with the signing-credential profile of the C2PA trust model
as c2pa-rs checks it — X.509 v3; keyUsage critical, digitalSignature; extendedKeyUsage
id-kp-emailProtection (never anyExtendedKeyUsage); basicConstraints CA:FALSE; subject and authority
key identifiers. (c2pa-rs 0.91.3, inside c2pa-python 0.38.1, refuses to sign without the
digitalSignature key usage, without an extended key usage, or with serverAuth as the only one; the
chain with its CA is how a real signer's credential looks.) The manifest is minimal: one
`c2pa.actions` assertion (written as `c2pa.actions.v2`, the claim being version 2) whose one action
is `c2pa.created` with the IPTC digital source type trainedAlgorithmicMedia; no thumbnail, and no
time-stamp authority (no network). c2pa-rs adds the hard binding (`c2pa.hash.data`) itself.

`verify` prints one JSON line {"file", "manifest", "validation_state", "codes", "failures",
"missing"} and exits
  0  the file carries a manifest store, the reader reports no failure code other than the tolerated
     one, and it did check the claim signature and the hard binding (see REQUIRED);
  1  an integrity failure: a failure code outside TOLERATED, a required success code missing, a
     validation_state of "Invalid", or a manifest store the reader cannot parse at all (a changed
     byte inside the caBX chunk makes c2pa-rs stop with a Verify error rather than list codes);
  2  no C2PA manifest at all (credentials stripped), or the file cannot be opened.

Which codes count as failures. c2pa-rs reports each check it makes as a validation status code in
one of three lists of `validation_results` (success, informational, failure; the older
`validation_status` array repeats the failures). Every code in a failure list counts, except the
one in TOLERATED, which only says that the signer is on no trust list — true of any throwaway
certificate and no sign that a byte changed:
  signingCredential.untrusted   the chain does not lead to a configured trust anchor.
So these fail the check (and any failure code a newer c2pa-rs adds, unless it is tolerated here):
  assertion.dataHash.mismatch   a byte the hard binding covers changed (everything outside caBX);
  assertion.hashedURI.mismatch  an assertion changed after the claim was signed;
  claimSignature.mismatch       the claim changed, or the signature does not match it;
  claim.malformed, claim.missing, assertion.missing, assertion.cbor.invalid, … a broken manifest;
  signingCredential.invalid / .expired / .revoked  a signing certificate that is unusable (not
                                merely untrusted).
Informational codes (e.g. signingCredential.ocsp.skipped: no network) never fail.
"""

import json
import os
import subprocess
import sys
import tempfile

TOLERATED = frozenset({"signingCredential.untrusted"})

# Success codes that must be present: the claim signature was checked, and a hard binding matched.
REQUIRED = [
    ("claimSignature.validated",),
    ("assertion.dataHash.match", "assertion.boxesHash.match", "assertion.bmffHash.match"),
]

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

MANIFEST = {
    "claim_generator_info": [{"name": "folio-tests", "version": "1.0"}],
    "title": "Folio test original",
    "format": "image/png",
    "assertions": [
        {
            "label": "c2pa.actions",
            "data": {
                "actions": [
                    {"action": "c2pa.created", "digitalSourceType": DIGITAL_SOURCE_TYPE},
                ]
            },
        }
    ],
}

CA_EXTENSIONS = """\
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

SIGNER_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


def openssl(*arguments):
    run = subprocess.run(["openssl", *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if run.returncode != 0:
        sys.exit(f"openssl {arguments[0]} failed ({run.returncode}): {run.stderr.strip()}")


def make_chain(folder):
    """A throwaway CA and an ES256 signing certificate issued by it: (chain PEM, key PEM)."""
    path = lambda name: os.path.join(folder, name)
    with open(path("ca.ext"), "w") as f:
        f.write(CA_EXTENSIONS)
    with open(path("signer.ext"), "w") as f:
        f.write(SIGNER_EXTENSIONS)
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path("ca.key"))
    openssl("req", "-new", "-key", path("ca.key"), "-subj", "/CN=Folio Test CA (throwaway)/O=Folio tests",
            "-out", path("ca.csr"))
    openssl("x509", "-req", "-in", path("ca.csr"), "-key", path("ca.key"), "-days", "2", "-sha256",
            "-extfile", path("ca.ext"), "-set_serial", "1", "-out", path("ca.pem"))
    # PKCS#8 ("PRIVATE KEY"): c2pa-rs refuses the SEC1 form ("EC PRIVATE KEY") `ecparam` writes.
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path("signer.key"))
    openssl("req", "-new", "-key", path("signer.key"), "-subj", "/CN=Folio Test Signer (throwaway)/O=Folio tests",
            "-out", path("signer.csr"))
    openssl("x509", "-req", "-in", path("signer.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
            "-days", "1", "-sha256", "-extfile", path("signer.ext"), "-set_serial", "2", "-out", path("signer.pem"))
    with open(path("signer.pem"), "rb") as signer, open(path("ca.pem"), "rb") as ca, \
            open(path("signer.key"), "rb") as key:
        # The chain, end-entity certificate first.
        return signer.read() + ca.read(), key.read()


def sign(source, destination):
    import c2pa

    with tempfile.TemporaryDirectory(prefix="folio-c2pa-") as folder:
        chain, key = make_chain(folder)
    info = c2pa.C2paSignerInfo(alg=b"es256", sign_cert=chain, private_key=key, ta_url=None)
    # No thumbnail: the manifest holds the actions assertion and the hard binding, nothing else.
    settings = c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    with c2pa.Context(settings) as context, c2pa.Signer.from_info(info) as signer, \
            c2pa.Builder(MANIFEST, context) as builder:
        with open(source, "rb") as src, open(destination, "w+b") as dst:
            builder.sign(signer, "image/png", src, dst)


def codes_in(report, kind):
    """The codes of one kind ("success", "failure", …) for the active manifest and its ingredients."""
    results = report.get("validation_results") or {}
    items = list((results.get("activeManifest") or {}).get(kind) or [])
    for ingredient in results.get("ingredientDeltas") or []:
        items += (ingredient.get("validationDeltas") or {}).get(kind) or []
    if kind == "failure":
        items += report.get("validation_status") or []
    return sorted({item.get("code") for item in items if item.get("code")})


def verify(path):
    import c2pa

    line = {"file": path, "manifest": False, "validation_state": None, "codes": [], "failures": [], "missing": []}

    def done(status, **fields):
        line.update(fields)
        print(json.dumps(line))
        return status

    if not os.path.isfile(path):
        return done(2, error="no such file")
    try:
        with c2pa.Reader(path) as reader:
            report = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound as error:
        return done(2, error=f"no C2PA manifest: {error}")
    except c2pa.C2paError as error:
        # A manifest store is there but cannot be read: its bytes were changed.
        return done(1, manifest=True, failures=["manifest.unreadable"], error=f"{type(error).__name__}: {error}")
    success = codes_in(report, "success")
    line.update(manifest=True, validation_state=report.get("validation_state"), codes=codes_in(report, "failure"))
    line["failures"] = [code for code in line["codes"] if code not in TOLERATED]
    line["missing"] = [" or ".join(group) for group in REQUIRED if not any(code in success for code in group)]
    if line["failures"] or line["missing"] or line["validation_state"] == "Invalid":
        return done(1)
    return done(0)


def main(arguments):
    if len(arguments) == 3 and arguments[0] == "sign":
        sign(arguments[1], arguments[2])
        return 0
    if len(arguments) == 2 and arguments[0] == "verify":
        return verify(arguments[1])
    print(__doc__.split("\n\n")[2], file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
