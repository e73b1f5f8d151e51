#!/usr/bin/env python3
"""An independent reading of the scoring contract (docs/contract.md), written apart from the
Swift engine, that recomputes a worked example's exports from its events and compares them with
the expected files byte for byte.

    scripts/check-worked-example.py [Tests/Fixtures/worked-example] [Models/default-scorecard.json]

It covers what the project's own worked example uses (it is not a full validator): strict JSON
with duplicate keys refused, integers, the currency, user ids, duplicates and conflicts,
obligation conflicts, arrival-order month closing with a 48-hour lateness, erasure cuts and
every feature and the scorecard. Exit status 1 and a diff when anything differs.
"""
import json
import re
import sys
from datetime import datetime, timedelta, timezone

ZONE = timezone(timedelta(hours=8))
DAY_MS = 86_400_000
LATENESS_MS = 48 * 3_600_000
FEATURES = [
    "identity_verified", "tenure_days", "payments_12m", "spend_12m_minor", "active_months_12m", "declined_12m",
    "obligations_total", "on_time_settled", "late_settled_24m", "open_obligations", "outstanding_minor",
    "overdue_obligations", "max_dpd_current", "max_dpd_24m", "defaults_24m", "credit_limit_minor", "utilization_bp",
]


def ms(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def month_of(t):
    d = datetime.fromtimestamp(t / 1000, ZONE)
    return (d.year, d.month)


def start(m):
    return int(datetime(m[0], m[1], 1, tzinfo=ZONE).timestamp() * 1000)


def next_month(m, n=1):
    y, mo = m[0], m[1] - 1 + n
    return (y + mo // 12, mo % 12 + 1)


def end(m):
    return start(next_month(m))


def days(a, b):
    return (b - a) // DAY_MS


def strict(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def validate(e):
    """The reason a parsed event is rejected, or None (what the example exercises)."""
    if not isinstance(e, dict):
        return "not_object"
    for f in ("amount_minor", "limit_minor", "delta_minor"):
        if f in e and (not isinstance(e[f], int) or isinstance(e[f], bool)):
            return "wrong_type"
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", e.get("user_id", "")):
        return "invalid_value"
    if e["type"] == "payment" and e["currency"] != "CNY":
        return "wrong_currency"
    return None


def features(events, cut, T, m):
    """Section 3 for one user's accepted events, as of T."""
    own = [e for e in events if e["t"] > cut and e["t"] < T]
    enrolments = [e for e in own if e["type"] == "user.enrolled"]
    latest_enrolment = max(enrolments, key=lambda e: (e["t"], e["event_id"].encode()))
    w12 = (start(next_month(m, -11)), T)
    pays = [e for e in own if e["type"] == "payment" and w12[0] <= e["t"] < w12[1]]
    approved = [p for p in pays if p["outcome"] == "approved"]
    limits = [e for e in own if e["type"] == "credit_limit.set"]
    limit = max(limits, key=lambda e: (e["t"], e["event_id"].encode()))["limit_minor"] if limits else 0
    f = {
        "identity_verified": latest_enrolment["identity_verified"],
        "tenure_days": days(min(e["t"] for e in enrolments), T),
        "payments_12m": len(approved),
        "spend_12m_minor": sum(p["amount_minor"] for p in approved),
        "active_months_12m": len({month_of(p["t"]) for p in approved}),
        "declined_12m": sum(1 for p in pays if p["outcome"] == "declined"),
    }
    obligations = []
    for o in (e for e in own if e["type"] == "obligation.opened"):
        oid = o["obligation_id"]
        if any(e["type"] == "obligation.cancelled" and e["obligation_id"] == oid for e in own):
            continue
        moves = [e for e in own if e.get("obligation_id") == oid and e["type"] in ("obligation.adjusted", "repayment")]
        steps = [(o["t"], o["amount_minor"])] + [
            (e["t"], e["delta_minor"] if e["type"] == "obligation.adjusted" else -e["amount_minor"]) for e in moves
        ]
        balance = sum(d for _, d in steps)
        due_at = ms(o["due_at"])
        settled_at = None
        if balance <= 0:
            # The earliest own-event time after which the running balance stays <= 0.
            running, settled_at = 0, None
            for t in sorted({t for t, _ in steps}):
                running += sum(d for s, d in steps if s == t)
                if running <= 0:
                    settled_at = t if settled_at is None else settled_at
                else:
                    settled_at = None
        if settled_at is None:
            dpd = days(due_at, T) if T > due_at else 0
        else:
            dpd = days(due_at, settled_at) if settled_at > due_at else 0
        obligations.append(dict(service=o["service"], balance=balance, due=due_at, settled=settled_at, dpd=dpd))
    recent = [o for o in obligations if o["due"] >= T - 730 * DAY_MS]
    open_ = [o for o in obligations if o["settled"] is None]
    pay_later = sum(o["balance"] for o in open_ if o["service"] == "pay_later")
    f.update({
        "obligations_total": len(obligations),
        "on_time_settled": sum(1 for o in obligations if o["settled"] is not None and o["settled"] <= o["due"]),
        "late_settled_24m": sum(1 for o in recent if o["settled"] is not None and o["settled"] > o["due"]),
        "open_obligations": len(open_),
        "outstanding_minor": sum(o["balance"] for o in open_),
        "overdue_obligations": sum(1 for o in open_ if o["due"] < T),
        "max_dpd_current": max([o["dpd"] for o in open_], default=0),
        "max_dpd_24m": max([o["dpd"] for o in recent], default=0),
        "defaults_24m": sum(1 for o in recent if o["dpd"] >= 90),
        "credit_limit_minor": limit,
        "utilization_bp": None if limit == 0 else 10000 * pay_later // limit,
    })
    return f


def score(model, f):
    total, shortfalls = model["base_points"], []
    for c in model["characteristics"]:
        v = f[c["feature"]]
        v = int(v) if isinstance(v, bool) else v
        for b in c["bins"]:
            # The project's reading (docs/contract.md): a `"null": true` bin matches null only, so
            # it is no catch-all even without a `max`; null matches nothing else.
            if v is None:
                if b.get("null"):
                    break
            elif not b.get("null") and ("max" not in b or b["max"] >= v):
                break
        total += b["points"]
        shortfalls.append((max(x["points"] for x in c["bins"]) - b["points"], c["reason"]))
    reasons = [r for s, r in sorted((s for s in shortfalls if s[0] > 0), key=lambda s: -s[0])][:4]
    return max(model["range"]["min"], min(model["range"]["max"], total)), reasons


def snapshot(model, accepted, cuts, m):
    T = end(m)
    lines = []
    for user in sorted({e["user_id"] for e in accepted}, key=lambda u: u.encode()):
        events = [e for e in accepted if e["user_id"] == user]
        cut = cuts.get(user, -(1 << 62))
        consent = [e for e in events if e["type"] in ("user.enrolled", "user.withdrawn") and e["t"] < T]
        if not consent or T <= cut:
            continue
        if max(consent, key=lambda e: (e["t"], e["event_id"].encode()))["type"] != "user.enrolled":
            continue
        f = features(events, cut, T, m)
        s, reasons = score(model, f)
        record = {"user_id": user, "month": "%04d-%02d" % m, "score": s, "model_version": model["model_version"],
                  "reasons": reasons, "features": {k: f[k] for k in FEATURES}}
        lines.append(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")
    return "".join(lines)


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/worked-example"
    model = json.load(open(sys.argv[2] if len(sys.argv) > 2 else "Models/default-scorecard.json"))
    seen, opened, accepted, cuts, closed = {}, set(), [], {}, {}
    for line in open(folder + "/events.ndjson", encoding="utf-8").read().split("\n"):
        if not line.strip():
            continue
        try:
            e = json.loads(line, object_pairs_hook=strict)
        except ValueError:
            continue  # not_json
        if validate(e):
            continue
        if e["event_id"] in seen:
            continue  # a duplicate, or a conflict when the content differs
        if e["type"] == "obligation.opened":
            if (e["user_id"], e["obligation_id"]) in opened:
                continue  # obligation_conflict
            opened.add((e["user_id"], e["obligation_id"]))
        seen[e["event_id"]] = e
        e["t"] = ms(e["occurred_at"])
        accepted.append(e)
        if e["type"] == "user.withdrawn":
            cuts[e["user_id"]] = max(cuts.get(e["user_id"], e["t"]), e["t"])
            for m in closed:  # removed from every stored snapshot
                closed[m] = "".join(l for l in closed[m].splitlines(True) if json.loads(l)["user_id"] != e["user_id"])
        watermark = max(x["t"] for x in accepted) - LATENESS_MS
        m = month_of(min(x["t"] for x in accepted))
        while end(m) <= watermark:
            if m not in closed:
                closed[m] = snapshot(model, accepted, cuts, m)
            m = next_month(m)
    m = month_of(min(x["t"] for x in accepted))
    while end(m) <= max(x["t"] for x in accepted):  # the end of a batch input
        if m not in closed:
            closed[m] = snapshot(model, accepted, cuts, m)
        m = next_month(m)
    failures = 0
    for m in sorted(closed):
        name = "%s/expected/snapshot-%04d-%02d.ndjson" % (folder, m[0], m[1])
        expected = open(name, encoding="utf-8").read()
        if expected != closed[m]:
            failures += 1
            print("DIFFERS: %s\n  expected:\n%s  computed:\n%s" % (name, expected, closed[m]))
        else:
            print("identical: %s (%d users)" % (name, closed[m].count("\n")))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
