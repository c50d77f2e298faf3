"""The figures every bench reports over a list of samples (bench/README.md
"Figures"): the median, the mean, the 99th percentile and the largest, in
one place so that "p99" means the same in every bench's JSON."""
import math
import statistics


def p99(values):
    """The nearest-rank 99th percentile: the smallest sample that at least
    99% of the samples do not exceed (with fewer than 100 samples that is
    the largest one)."""
    ordered = sorted(values)
    return ordered[math.ceil(len(ordered) * 0.99) - 1]


def figures(values, unit, digits=1):
    """{"n", "median_<unit>", "mean_<unit>", "p99_<unit>", "max_<unit>"} of
    values, rounded to digits. Raises ValueError without samples: a bench
    has no figure for something that never happened."""
    values = list(values)
    if not values:
        raise ValueError(f"no samples ({unit})")
    return {"n": len(values),
            f"median_{unit}": round(statistics.median(values), digits),
            f"mean_{unit}": round(statistics.fmean(values), digits),
            f"p99_{unit}": round(p99(values), digits),
            f"max_{unit}": round(max(values), digits)}
