"""Calibration: compares modelled times with observed counts (reads data/observed.csv)."""
import csv
import json
import sys

times_path, out_path = sys.argv[1], sys.argv[2]
with open(times_path) as f:
    modelled = {int(r["link"]): float(r["time"]) for r in csv.DictReader(f)}
with open("data/observed.csv") as f:
    observed = {int(r["link"]): float(r["time"]) for r in csv.DictReader(f)}
error = sum(abs(modelled[k] - observed[k]) for k in observed) / len(observed)
json.dump({"mean_abs_error_min": round(error, 3)}, open(out_path, "w"))
print(f"calibrate: mean absolute error {error:.3f} min")
