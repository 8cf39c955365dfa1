#!/usr/bin/env python3
"""Sets up and confirms N second factors on a running server, as the wizard's step 3 does (POST /api/facteurs, then
the authenticator app's code: RFC 6238, computed here), and writes their handles one a line: the registrations of a
benchmark each carry one, so that what is timed is the registration alone. Usage: factors.py BASE_URL N OUT"""
import base64, hashlib, hmac, json, struct, sys, time, urllib.request

base, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def post(path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def totp(secret, at):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 15
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


with open(out, "w") as handles:
    for _ in range(n):
        setup = post("/api/facteurs", {"type": "totp", "identifiant": "banc"})
        post(f"/api/facteurs/{setup['id']}/confirmation", {"code": totp(setup["secret"], time.time())})
        handles.write(setup["id"] + "\n")
