"""Splink 5 baseline for organisation-site deduplication.

Reads a leadstream canonical CSV (record_id, entity_id, company, street,
city, postcode, phone, domain, country, first_name, last_name, ...), links
it with Splink's Fellegi-Sunter model on DuckDB, clusters at a match
probability threshold and prints pairwise and B-cubed precision, recall and
F1 against a truth column, as JSON: the same measures `leadstream eval`
prints, so the two can be put side by side.

    python bench/splink/dedupe_sites.py FILE [--truth entity_id] [--threshold 0.9]
"""

import argparse
import itertools
import json
import re
import sys
from collections import defaultdict

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

LEGAL = re.compile(
    r"\b(ltd|limited|inc|llc|plc|gmbh|ag|bv|b\.v|nv|n\.v|sa|sas|sarl|srl|spa|pty|co|corp|corporation|company)\b\.?"
)


def company_key(name: str) -> str:
    s = (name or "").lower()
    s = LEGAL.sub(" ", s)
    s = re.sub(r"[^a-z0-9 ]+", " ", s)
    return " ".join(s.split())


def digits(s: str) -> str:
    return re.sub(r"\D+", "", s or "")


def pairs_of(labels: dict) -> set:
    groups = defaultdict(list)
    for rid, lab in labels.items():
        groups[lab].append(rid)
    out = set()
    for members in groups.values():
        for a, b in itertools.combinations(sorted(members), 2):
            out.add((a, b))
    return out


def bcubed(truth: dict, pred: dict) -> tuple:
    tgroups, pgroups = defaultdict(set), defaultdict(set)
    for rid, lab in truth.items():
        tgroups[lab].add(rid)
    for rid, lab in pred.items():
        pgroups[lab].add(rid)
    p = r = 0.0
    for rid in truth:
        tp, pp = tgroups[truth[rid]], pgroups[pred[rid]]
        both = len(tp & pp)
        p += both / len(pp)
        r += both / len(tp)
    n = len(truth)
    p, r = p / n, r / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--truth", default="entity_id")
    ap.add_argument("--threshold", type=float, default=0.9)
    args = ap.parse_args()

    df = pd.read_csv(args.file, dtype=str, keep_default_na=False)
    df["unique_id"] = df["record_id"]
    df["company_key"] = df["company"].map(company_key)
    df["company_first"] = df["company_key"].str.split().str[0].fillna("")
    df["phone_digits"] = df["phone"].map(digits)
    df["postcode_norm"] = df["postcode"].str.replace(" ", "").str.lower()
    df["street_norm"] = df["street"].str.lower()
    df["domain_norm"] = df["domain"].str.lower()
    for c in ["company_key", "company_first", "phone_digits", "postcode_norm", "street_norm", "domain_norm", "city"]:
        df[c] = df[c].replace("", None)
    cols = ["unique_id", "company_key", "company_first", "phone_digits", "postcode_norm", "street_norm", "domain_norm", "city", "country"]

    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("company_key", [0.95, 0.88]),
            cl.ExactMatch("domain_norm"),
            cl.ExactMatch("phone_digits"),
            cl.LevenshteinAtThresholds("street_norm", [1, 3]),
            cl.ExactMatch("postcode_norm"),
            cl.ExactMatch("city"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("company_first"),
            block_on("phone_digits"),
            block_on("domain_norm"),
            block_on("postcode_norm"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    sdf = db.register(df[cols])
    linker = Linker(sdf, settings, log_level=40)
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("company_key", "postcode_norm"), block_on("phone_digits")], recall=0.8
        )
    except Exception:  # names only (patstat): no postcode or phone to block on
        linker.training.estimate_probability_two_random_records_match([block_on("company_key")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in (block_on("postcode_norm"), block_on("company_first"), block_on("phone_digits")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as e:  # an empty block, or a level it never observes: keep the other rounds
            print(f"splink: EM round on {rule} skipped: {e}", file=sys.stderr)
    preds = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(preds, args.threshold).as_pandas_dataframe()

    pred = dict(zip(clusters["unique_id"], clusters["cluster_id"]))
    truth = dict(zip(df["record_id"], df[args.truth]))
    tp_pairs, pp_pairs = pairs_of(truth), pairs_of(pred)
    tp = len(tp_pairs & pp_pairs)
    p = tp / len(pp_pairs) if pp_pairs else 1.0
    r = tp / len(tp_pairs) if tp_pairs else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    bp, br, bf = bcubed(truth, pred)
    json.dump({"file": args.file, "tool": "splink", "threshold": args.threshold, "truth": args.truth,
               "records": len(df), "true_pairs": len(tp_pairs), "predicted_pairs": len(pp_pairs),
               "precision": p, "recall": r, "f1": f1,
               "bcubed": {"precision": bp, "recall": br, "f1": bf}}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
