#!/usr/bin/env python3
"""Reads the harness and Lighthouse results of scripts/bench-speed (ours and the React peer's, measured in the same
run) and writes bench/speed-report.{json,md}: each figure of ours beside the peer's, their ratio, and the target."""
import datetime, json, os, sys

work, out = sys.argv[1], sys.argv[2]
dist = sys.argv[3] if len(sys.argv) > 3 else os.path.join(out, "..", "dist")


def load(name):
    path = os.path.join(work, name)
    return json.load(open(path)) if os.path.exists(path) else None


ours, peer = load("ours.json"), load("peer.json")
lh = {k: load(f"{k}-lighthouse.json") for k in ("ours", "peer")}


def harness(d):
    s, k = d["summary"], d["keystrokes"]
    return {
        "first paint, step 1 (ms, median)": s["fcp"]["median"],
        "interactive, step 1 (ms, median)": s["interactive"]["median"],
        "click -> step 2 shown (ms, median)": s["clickToLabel"]["median"],
        "transfer, step 1 load (B)": s["bytes"]["median"],
        "transfer, whole app at step 3 (B)": k["step3Load"]["bytes"]["median"],
        "key -> next frame p50 (ms)": k["keyToFrame"]["p50"],
        "key -> next frame p95 (ms)": k["keyToFrame"]["p95"],
        "key -> meter updated p50 (ms)": k["keyToMeter"]["p50"],
        "key -> meter updated p95 (ms)": k["keyToMeter"]["p95"],
        "key -> meter updated + frame p95 (ms)": k["keyToMeterFrame"]["p95"],
    }


def scores(d):
    if not d:
        return {}
    c = d.get("categories", {})
    return {f"Lighthouse {name}": round(c[key]["score"] * 100) for key, name in
            (("performance", "performance"), ("accessibility", "accessibility")) if c.get(key, {}).get("score") is not None}


TARGETS = {
    "interactive, step 1 (ms, median)": ("< 1000 and < peer", lambda v, p: v < 1000 and v < p),
    "key -> next frame p95 (ms)": ("< 50", lambda v, p: v < 50),
    "key -> meter updated + frame p95 (ms)": ("< 150", lambda v, p: v < 150),
    "Lighthouse performance": (">= 95", lambda v, p: v >= 95),
    "Lighthouse accessibility": ("100", lambda v, p: v == 100),
}

def meter_ready(name):
    d = load(name)
    return {"step 3 shown -> meter ready p50 (ms)": d["p50"]} if d else {}


a = {**harness(ours), **meter_ready("ours-meter.json"), **scores(lh["ours"])}
# The harness sees the page's requests only, not those of a dedicated worker: our password-strength worker (its own
# wasm) is added from dist/, as the server sends it (brotli). The peer's zxcvbn chunk is a page request.
worker = sum(os.path.getsize(os.path.join(dist, f)) for f in os.listdir(dist) if f.startswith("strength_worker") and f.endswith(".br"))
a["transfer, whole app at step 3 (B)"] += worker
b = {**harness(peer), **meter_ready("peer-meter.json"), **scores(lh["peer"])}
rows = []
for name, value in a.items():
    other = b.get(name)
    ratio = round(value / other, 2) if other else None
    target, check = TARGETS.get(name, ("", None))
    met = check(value, other if other is not None else float("inf")) if check else None
    rows.append({"figure": name, "ours": value, "peer": other, "ratio": ratio, "target": target, "met": met})

report = {
    "date": datetime.date.today().isoformat(),
    "machine": ours["meta"].get("machine"),
    "browser": ours["meta"].get("browser"),
    "runs": len(ours["runs"]),
    "notes": f"ours: whole app = the harness's step-3 bytes + the strength worker's {worker:,} B (brotli), which the harness cannot see",
    "profile": "slow 4G (150 ms, 1.6 Mbit/s down, 750 kbit/s up) + 4x CPU, cold cache; Lighthouse: its mobile profile",
    "rows": rows,
}
os.makedirs(out, exist_ok=True)
json.dump(report, open(os.path.join(out, "speed-report.json"), "w"), indent=2, ensure_ascii=False)
lines = [f"Speed, {report['date']}, {report['runs']} cold runs each, same machine and run ({report['profile']})",
         f"({report['notes']})", "",
         "| figure | ours | React peer | ours / peer | target | met |", "|---|---:|---:|---:|---|---|"]
for r in rows:
    met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
    lines.append(f"| {r['figure']} | {r['ours']:,} | {r['peer'] if r['peer'] is None else format(r['peer'], ',')} | "
                 f"{'' if r['ratio'] is None else r['ratio']} | {r['target']} | {met} |")
open(os.path.join(out, "speed-report.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
