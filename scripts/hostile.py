#!/usr/bin/env python3
"""The hostile suite's attacks, against a running `accord serve`.

Run by scripts/hostile, which starts the server with its address space
capped and passes its URL and process id. Each attack sends what an attacker
would and asserts the defence: the server still answers, every refusal is a
4xx or 503 with a problem+json body, and nothing was written that should not
be. While an attack runs a thread polls /healthz every 50 ms; the worst
latency it saw is printed with the attack's line.

Only the standard library: the suite must run wherever Python 3 does.
"""

import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse

BASE = os.environ["ACCORD_HOSTILE_URL"]
PID = int(os.environ["ACCORD_HOSTILE_PID"])
METRICS_TOKEN = os.environ.get("ACCORD_HOSTILE_METRICS_TOKEN", "")
EXAMPLE = os.environ.get("ACCORD_HOSTILE_EXAMPLE", "examples/peace-framework.toml")
PASSWORD = "hostile-suite-password"

url = urllib.parse.urlparse(BASE)
HOST, PORT = url.hostname, url.port


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        return json.loads(self.body)

    def problem(self):
        """The problem document, or None if the body is not one."""
        if not self.headers.get("content-type", "").startswith("application/problem+json"):
            return None
        try:
            doc = json.loads(self.body)
        except ValueError:
            return None
        return doc if isinstance(doc, dict) and "code" in doc else None


def request(method, path, body=None, headers=None, timeout=60):
    conn = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
    try:
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            if isinstance(body, (bytes, str)):
                data = body if isinstance(body, bytes) else body.encode()
            else:
                data = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        return Answer(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


class User:
    """An account with a bearer token."""

    counter = 0

    def __init__(self, label):
        User.counter += 1
        self.email = f"{label}-{User.counter}-{random.randrange(1 << 30)}@hostile.invalid"
        a = request("POST", "/api/accounts", {"email": self.email, "password": PASSWORD, "display_name": label})
        if a.status != 201:
            raise RuntimeError(f"sign-up of {label}: {a.status} {a.body[:200]!r}")
        t = request("POST", "/api/tokens", {"email": self.email, "password": PASSWORD})
        if t.status not in (200, 201):
            raise RuntimeError(f"token for {label}: {t.status} {t.body[:200]!r}")
        self.token = t.json()["token"]

    def h(self, extra=None):
        hdrs = {"Authorization": f"Bearer {self.token}"}
        hdrs.update(extra or {})
        return hdrs

    def get(self, path, **kw):
        return request("GET", path, headers=self.h(), **kw)

    def write(self, method, path, body, etag=None):
        extra = {"If-Match": etag} if etag is not None else {}
        return request(method, path, body, headers=self.h(extra))

    def size(self, nid):
        return self.get(f"/api/negotiations/{nid}").headers.get("etag")

    def write_at_head(self, method, path, nid, body):
        """A write based on the current log size, retried if the clock moved it."""
        for _ in range(5):
            a = self.write(method, path, body, self.size(nid))
            if a.status != 409 or (a.problem() or {}).get("code") != "conflict":
                return a
        return a


class Watch:
    """Polls /healthz while an attack runs; keeps the worst latency."""

    def __init__(self):
        self.worst = 0.0
        self.failures = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                ok = request("GET", "/healthz", timeout=30).status == 200
            except OSError:
                ok = False
            self.worst = max(self.worst, time.monotonic() - started)
            if not ok:
                self.failures += 1
            self.stop.wait(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def alive():
    try:
        return request("GET", "/healthz", timeout=10).status == 200
    except OSError:
        return False


def refused(answer, statuses):
    """A refusal as the suite wants it: one of `statuses`, with a problem document."""
    return answer.status in statuses and answer.problem() is not None


def memory_kib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


RESULTS = []


def attack(name):
    def wrap(fn):
        def run():
            with Watch() as watch:
                try:
                    ok, detail = fn()
                except Exception as e:  # noqa: BLE001 - an exception is a failed attack, reported
                    ok, detail = False, f"{type(e).__name__}: {e}"
            still = alive()
            ok = ok and still and watch.failures == 0
            if not still:
                detail += "; THE SERVER IS DOWN"
            elif watch.failures:
                detail += f"; /healthz failed {watch.failures} times"
            RESULTS.append((name, ok, watch.worst))
            print(
                f"{'PASS' if ok else 'FAIL'} {name}: {detail} "
                f"(worst /healthz {watch.worst * 1000:.0f} ms, peak memory {memory_kib() // 1024} MiB)",
                flush=True,
            )

        RESULTS_ORDER.append(run)
        return fn

    return wrap


RESULTS_ORDER = []


def scenario_with(extra_issue_toml):
    with open(EXAMPLE) as f:
        source = f.read()
    return source + "\n" + extra_issue_toml


@attack("finding 1: an issue with 4e9 values")
def huge_issue():
    user = User("huge")
    toml = scenario_with(
        '[[issue]]\nid = "huge"\ntitle = "Huge"\nrange = { min = 0, max = 4000000000, step = 1 }\ndraft = 0\n'
    )
    a = user.write("POST", "/api/negotiations", {"scenario_toml": toml})
    listed = user.get("/api/negotiations").json()
    return refused(a, {413, 422}) and listed == [], f"create answered {a.status}, negotiations listed: {len(listed)}"


@attack("extra: a scenario with 10,000 issues")
def many_issues():
    user = User("many")
    issues = "".join(f'[[issue]]\nid = "i{i}"\ntitle = "I{i}"\noptions = ["a", "b"]\ndraft = "a"\n' for i in range(10_000))
    a = user.write("POST", "/api/negotiations", {"scenario_toml": scenario_with(issues)})
    return refused(a, {413, 422}), f"create answered {a.status}"


def example_negotiation(user):
    """The peace-framework example, its timetable starting now."""
    with open(EXAMPLE) as f:
        toml = f.read()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    a = user.write("POST", "/api/negotiations", {"scenario_toml": toml, "timetable_from": now})
    if a.status != 201:
        raise RuntimeError(f"creating the example: {a.status} {a.body[:300]!r}")
    return a.json()["id"]


def small_negotiation(user, title="hostile"):
    a = user.write("POST", "/api/negotiations", {"title": title})
    if a.status != 201:
        raise RuntimeError(f"creating a negotiation: {a.status} {a.body[:300]!r}")
    return a.json()["id"]


def provision(number, body):
    return {"number": number, "heading": "Text", "body": body, "wordings": []}


@attack("extra: a 1 MiB provision body")
def big_provision():
    user = User("big")
    nid = small_negotiation(user)
    a = user.write_at_head("PUT", f"/api/negotiations/{nid}/provisions/art-1", nid, provision("1", "x" * (1 << 20)))
    draft = user.get(f"/api/negotiations/{nid}/draft").body
    return refused(a, {413, 422}) and b"xxxxxxxx" not in draft, f"answered {a.status}"


@attack("finding 2: a diff of two large distinct provisions, eight at once")
def diff_flood():
    user = User("diff")
    nid = small_negotiation(user)
    versions = []
    for v in range(2):
        # As many distinct lines as the provision limit lets through.
        lines = [f"line {v} {i} {random.randrange(1 << 40)}" for i in range(20_000)]
        body = "\n".join(lines)
        while True:
            a = user.write_at_head("PUT", f"/api/negotiations/{nid}/provisions/art-1", nid, provision("1", body))
            if a.status == 200 or len(body) < 1000:
                break
            body = body[: len(body) // 2]
        p = user.write_at_head("POST", f"/api/negotiations/{nid}/versions", nid, {})
        versions.append(p.status)
    started = time.monotonic()
    answers = []

    def get_diff():
        answers.append(user.get(f"/api/negotiations/{nid}/versions/1/diff/2", timeout=120).status)

    threads = [threading.Thread(target=get_diff) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    ok = versions == [201, 201] or versions == [200, 200]
    ok = ok and all(s in (200, 503) for s in answers)
    return ok, f"published {versions}, diffs {sorted(set(answers))} in {took:.1f} s"


@attack("finding 3: two accounts in one seat")
def second_seat():
    mediator, first, second = User("mediator"), User("first"), User("second")
    nid = example_negotiation(mediator)
    def invite():
        inv = mediator.write_at_head("POST", f"/api/negotiations/{nid}/invitations", nid, {"party": "ua"})
        if inv.status != 201:
            raise RuntimeError(f"inviting ua: {inv.status} {inv.body[:300]!r}")
        return inv.json()["token"]

    tokens = [invite(), invite()]
    stale = first.write_at_head("POST", f"/api/negotiations/{nid}/invitations/accept", nid, {"token": tokens[0]})
    taken = first.write_at_head("POST", f"/api/negotiations/{nid}/invitations/accept", nid, {"token": tokens[1]})
    # The other invitation, in another account's hands, and a fresh invitation for the held seat.
    third = second.write_at_head("POST", f"/api/negotiations/{nid}/invitations/accept", nid, {"token": tokens[0]})
    fresh = mediator.write_at_head("POST", f"/api/negotiations/{nid}/invitations", nid, {"party": "ua"})
    profile = second.get(f"/api/negotiations/{nid}/profiles/ua")
    ok = refused(stale, {409, 410, 422}) and taken.status == 200 and refused(third, {409, 410, 422})
    ok = ok and refused(fresh, {409, 422}) and profile.status in (403, 404)
    return ok, (
        f"superseded invitation {stale.status}, the newest {taken.status}, a second holder {third.status}, "
        f"a new invitation for the held seat {fresh.status}, the intruder reads the profile: {profile.status}"
    )


@attack("finding 5: a key that is not an Ed25519 point, or registered without proof of possession")
def bad_key():
    user = User("key")
    nid = example_negotiation(user)
    party = "us"
    a = user.write_at_head("PUT", f"/api/negotiations/{nid}/keys/{party}", nid, {"public_key": "02" + "00" * 31})
    # A real point (RFC 8032 test 1's public key) whose holder did not sign its registration:
    # what a server registering a key of its own choosing would have to send.
    rfc8032 = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    unproved = user.write_at_head("PUT", f"/api/negotiations/{nid}/keys/{party}", nid, {"public_key": rfc8032})
    forged = user.write_at_head(
        "PUT", f"/api/negotiations/{nid}/keys/{party}", nid, {"public_key": rfc8032, "signature": "00" * 64}
    )
    keys = user.get(f"/api/negotiations/{nid}/keys").json()
    ok = refused(a, {400, 422}) and refused(unproved, {422}) and refused(forged, {422}) and keys == []
    return ok, (
        f"not a point {a.status}, no proof {unproved.status}, a wrong proof {forged.status}, keys registered: {len(keys)}"
    )


@attack("finding 6: login CSRF (a cross-site POST to /signin and /api/sessions)")
def login_csrf():
    user = User("csrf")
    form = urllib.parse.urlencode({"email": user.email, "password": PASSWORD, "next": "/"})
    evil = {"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"}
    page = request("POST", "/signin", form, headers=evil)
    fetch_meta = request(
        "POST", "/signin", form, headers={"Sec-Fetch-Site": "cross-site", "Content-Type": evil["Content-Type"]}
    )
    api = request("POST", "/api/sessions", {"email": user.email, "password": PASSWORD}, headers={"Origin": "null"})
    cookies = [a.headers.get("set-cookie", "") for a in (page, fetch_meta, api)]
    ok = all(refused(a, {403}) for a in (page, fetch_meta, api)) and not any("session" in c for c in cookies)
    return ok, f"/signin {page.status} and {fetch_meta.status}, /api/sessions {api.status}"


@attack("finding 7: open redirect after sign-in")
def open_redirect():
    user = User("redirect")
    locations = []
    for nxt in ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example"]:
        form = urllib.parse.urlencode({"email": user.email, "password": PASSWORD, "next": nxt})
        a = request("POST", "/signin", form, headers={"Content-Type": "application/x-www-form-urlencoded"})
        locations.append((a.status, a.headers.get("location")))
    newline = request("GET", "/signin?next=%0A")
    ok = all(status in (302, 303) and loc == "/" for status, loc in locations) and newline.status < 500
    return ok, f"redirects {locations}, next=%0A answered {newline.status}"


@attack("finding 9: /metrics for an outsider")
def metrics_public():
    a = request("GET", "/metrics")
    wrong = request("GET", "/metrics", headers={"Authorization": "Bearer guess"})
    ok = a.status in (401, 403, 404) and wrong.status in (401, 403, 404) and b"accord_" not in a.body + wrong.body
    return ok, f"answered {a.status} without a token, {wrong.status} with a wrong one"


@attack("finding 8: 300 requests with made-up methods (metrics labels)")
def method_flood():
    statuses = set()
    for i in range(300):
        statuses.add(request(f"X{i:03d}", "/api/negotiations").status)
    labels = -1
    if METRICS_TOKEN:
        text = request("GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).body.decode()
        labels = len({line.split('method="')[1].split('"')[0] for line in text.splitlines() if 'method="' in line})
    ok = all(400 <= s < 500 for s in statuses) and 0 <= labels <= 8
    return ok, f"answered {sorted(statuses)}, method labels in /metrics: {labels}"


@attack("finding 10: framing and content-security policy")
def headers():
    a = request("GET", "/signin")
    csp = a.headers.get("content-security-policy", "")
    ok = "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and a.headers.get("x-frame-options") == "DENY"
    return ok, f"CSP {csp[:60]!r}…, X-Frame-Options {a.headers.get('x-frame-options')}"


@attack("extra: JSON nested 100,000 deep")
def deep_json():
    a = request("POST", "/api/accounts", "[" * 100_000, headers={"Content-Type": "application/json"})
    return refused(a, {400, 413, 422}), f"answered {a.status}"


@attack("extra: 10,000 negotiations from one account")
def negotiation_quota():
    user = User("quota")
    created, refusal = 0, None
    for i in range(10_000):
        a = user.write("POST", "/api/negotiations", {"title": f"n{i}"})
        if a.status == 201:
            created += 1
            continue
        refusal = a
        break
    ok = refusal is not None and refused(refusal, {429, 422})
    return ok, f"{created} created, then {refusal.status if refusal else 'no refusal'}"


@attack("extra: 300 server-sent event streams at once")
def sse_flood():
    user = User("sse")
    nid = small_negotiation(user)
    conns = []
    opened = 0
    for _ in range(300):
        c = http.client.HTTPConnection(HOST, PORT, timeout=10)
        try:
            c.request("GET", f"/api/negotiations/{nid}/stream", headers=user.h())
            r = c.getresponse()
            if r.status == 200:
                opened += 1
            conns.append(c)
        except OSError:
            c.close()
    started = time.monotonic()
    ok = request("GET", "/healthz").status == 200
    took = time.monotonic() - started
    for c in conns:
        c.close()
    return ok, f"{opened} streams open, /healthz then answered in {took * 1000:.0f} ms"


@attack("extra: 16 analyses at once")
def analysis_crowd():
    user = User("analysis")
    nid = example_negotiation(user)
    answers = []

    def one():
        answers.append(user.get(f"/api/negotiations/{nid}/analysis", timeout=120))

    threads = [threading.Thread(target=one) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = all(a.status == 200 or refused(a, {503}) for a in answers)
    return ok, f"answered {sorted(a.status for a in answers)}"


@attack("finding 4: 40 sign-ups in a row")
def sign_up_flood():
    answers = []
    for i in range(40):
        email = f"flood-{i}-{random.randrange(1 << 30)}@hostile.invalid"
        answers.append(request("POST", "/api/accounts", {"email": email, "password": PASSWORD, "display_name": "f"}))
    statuses = [a.status for a in answers]
    limited = [a for a in answers if a.status == 429]
    ok = bool(limited) and all(a.status == 201 or refused(a, {429}) for a in answers)
    ok = ok and all("retry-after" in a.headers for a in limited)
    return ok, f"{statuses.count(201)} created, {len(limited)} refused with 429"


def main():
    only = sys.argv[1:]
    for run in RESULTS_ORDER:
        run()
    passed = sum(1 for _, ok, _ in RESULTS if ok)
    failed = len(RESULTS) - passed
    print(f"peak memory {memory_kib() // 1024} MiB")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
