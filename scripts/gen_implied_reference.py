#!/usr/bin/env python3
"""Exact implied total volatilities for the normalised Black function, by
mpmath at 80 digits: for each (x, s) the double β = b(x, s) rounded, then the
exact root s* of b(x, s*) = β for that double β.

  python3 scripts/gen_implied_reference.py > crates/coach-core/tests/data/implied_reference.csv

(mpmath only; the file is committed, the tests read it.)
"""
import random
from mpmath import mp, mpf, exp, erfc, sqrt, findroot, log

mp.dps = 80


def phi_cdf(z):
    return erfc(-z / sqrt(2)) / 2


def b(x, s):
    x, s = mpf(x), mpf(s)
    return exp(x / 2) * phi_cdf(x / s + s / 2) - exp(-x / 2) * phi_cdf(x / s - s / 2)


def root(x, beta, s0):
    x, beta = mpf(x), mpf(beta)
    # ln b is near linear in ln s in the wings: solve there.
    f = lambda u: log(b(x, exp(u))) - log(beta)
    return exp(findroot(f, log(mpf(s0)), tol=mpf(10) ** -70, maxsteps=200))


def main():
    rng = random.Random(20261201)
    xs = [0.0, -1e-12, -1e-8, -1e-5, -1e-3, -0.01, -0.05, -0.1, -0.3, -0.5, -1.0, -2.0, -5.0, -10.0, -30.0, -100.0, -300.0]
    rows = []
    for x in xs:
        for e in range(-16, 9):
            s = 10.0 ** (e / 4.0) * (1.0 + 0.1 * rng.random())
            rows.append((x, s))
    # Near the money with a little time value, where the erf form cancels.
    for x in [-0.02, -0.05, -0.1, -0.2, -0.4]:
        for k in range(12):
            rows.append((x, (0.5 + 0.1 * k) * abs(x) ** 0.5 * 0.5))
    for _ in range(400):
        x = -(10.0 ** rng.uniform(-10, 2.5))
        s = 10.0 ** rng.uniform(-3, 1.5)
        rows.append((x, s))
    print("x,s,beta,s_exact")
    for x, s in rows:
        beta = b(x, s)
        bmax = exp(mpf(x) / 2)
        # The solver's domain: a normal double strictly below the bound, not
        # so close to it that the double β no longer holds the volatility.
        if not (mpf("1e-300") < beta < bmax * (1 - mpf("1e-13"))):
            continue
        beta_d = float(beta)
        s_exact = root(x, beta_d, s)
        print(f"{x!r},{s!r},{beta_d!r},{mp.nstr(s_exact, 20, min_fixed=-1000, max_fixed=1000)}")


if __name__ == "__main__":
    main()
