"""Congestion: BPR link travel times from link volumes (Python, standard library only).

    python3 py/bpr.py --volumes V.csv --network N.json --alpha A --beta B --out T.csv --report R.txt
"""
import argparse
import csv
import json

from lib.bpr import travel_time

parser = argparse.ArgumentParser()
for flag in ("--volumes", "--network", "--out", "--report"):
    parser.add_argument(flag, required=True)
parser.add_argument("--alpha", type=float, required=True)
parser.add_argument("--beta", type=float, required=True)
args = parser.parse_args()

links = {link["id"]: link for link in json.load(open(args.network))["links"]}
with open(args.volumes) as f:
    volumes = {int(row["link"]): float(row["volume"]) for row in csv.DictReader(f)}

times = {
    link: travel_time(links[link]["t0"], volume, links[link]["capacity"], args.alpha, args.beta)
    for link, volume in sorted(volumes.items())
}
with open(args.out, "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["link", "time"])
    for link, time in times.items():
        writer.writerow([link, f"{time:.4f}"])

worst = max(times, key=lambda link: times[link] / links[link]["t0"])
with open(args.report, "w") as f:
    f.write(f"{len(times)} links; most congested: link {worst} ({times[worst]:.1f} min)\n")
print(f"bpr: {len(times)} links, alpha={args.alpha}, beta={args.beta}")
