//! The normalised Black function and its inversion, in the manner of Peter
//! Jäckel's "Let's Be Rational" (2015).
//!
//! Every European price reduces, by discounting, put-call parity and scaling
//! by √(FK), to one function of the log-moneyness `x = ln(F/K)` and the total
//! volatility `s = σ√T`:
//!
//! `b(x, s) = e^(x/2)·Φ(x/s + s/2) − e^(−x/2)·Φ(x/s − s/2)`, taken for x ≤ 0
//! (out of the money), increasing in s from 0 to `e^(x/2)`.
//!
//! Inversion: a first guess from one of four branches (below, between and
//! above the inflection point `s_c = √(2|x|)` and its two tangent points),
//! each a shape-preserving rational cubic of the right transformed
//! coordinates; then third-order Householder steps on the objective that is
//! near linear in that branch (`1/ln b` in the lowest, `b` in the middle two,
//! `ln(b_max − b)` in the highest). One or two steps reach machine
//! precision; a bracket is kept throughout and a safeguarded Newton solver is
//! the fallback, so the answer is never a stray number.

use std::f64::consts::SQRT_2;

/// 1 / √(2π)
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// √(2π)
const SQRT_2PI: f64 = 2.506_628_274_631_000_5;
/// 2π / √27, the scale of the lower map.
const TWO_PI_OVER_SQRT_27: f64 = 1.209_199_576_156_145_2;
const SQRT_3: f64 = 1.732_050_807_568_877_2;

/// The standard normal distribution function, accurate in both tails.
#[inline]
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / SQRT_2)
}

#[inline]
pub fn norm_pdf(x: f64) -> f64 {
    INV_SQRT_2PI * (-0.5 * x * x).exp()
}

/// Gauss-Legendre, 5 points on [−1, 1].
const GL5: [(f64, f64); 5] = [
    (-0.906_179_845_938_664, 0.236_926_885_056_189_1),
    (-0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
    (0.0, 0.568_888_888_888_888_9),
    (0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
    (0.906_179_845_938_664, 0.236_926_885_056_189_1),
];

/// √(π/2)
const SQRT_PI_OVER_2: f64 = 1.253_314_137_315_500_3;
/// 1/√π
const INV_SQRT_PI: f64 = 0.564_189_583_547_756_3;

/// The scaled complementary error function e^(y²)·erfc(y) for y ≥ 0, to a
/// few ulps: e^(y²) with y² split into an exact head and a small tail (so
/// the product is not spoilt by rounding y² before the exponential), then
/// the asymptotic series where erfc would underflow.
pub fn erfcx(y: f64) -> f64 {
    // Below 1 the rounding of y² moves e^(y²) by under an ulp.
    if y < 1.0 {
        return (y * y).exp() * libm::erfc(y);
    }
    if y < 9.0 {
        // 26 significant bits: head² is exact in a double.
        let head = f64::from_bits(y.to_bits() & 0xFFFF_FFFF_F800_0000);
        let tail = (y - head) * (y + head);
        return (head * head).exp() * tail.exp() * libm::erfc(y);
    }
    // 1/(y√π)·Σ (−1)ⁿ (2n−1)!!/(2y²)ⁿ; at y ≥ 9 its terms fall below 1e-17
    // long before they would start to grow (n ≈ y²).
    let z = 0.5 / (y * y);
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    for n in 1..40 {
        term *= -((2 * n - 1) as f64) * z;
        sum += term;
        if term.abs() < 1e-17 * sum {
            break;
        }
    }
    sum * INV_SQRT_PI / y
}

/// M′(z) for z ≤ 0, where M = Φ/φ is the Mills ratio: M′ = 1 + z·M, which
/// for z ≪ 0 is a small difference of nearly equal numbers (≈ 1/z²), so
/// there it is the Laplace continued fraction M′ = M/(u + 2/(u + 3/…)),
/// u = −z, computed from the bottom with enough terms for 1e-17.
fn mills_derivative(z: f64) -> f64 {
    let mills = SQRT_PI_OVER_2 * erfcx(-z / SQRT_2);
    if z > -5.0 {
        return 1.0 + z * mills;
    }
    let u = -z;
    let terms = if u < 9.0 { 26 } else { 14 };
    let mut tail = u;
    for k in (2..=terms).rev() {
        tail = u + k as f64 / tail;
    }
    mills / tail
}

/// M(h + t) − M(h − t) for −5 < h ≤ 0 and t ≤ 0.05·max(1, |h|) (or
/// t ≤ 0.21 when |h| < 1), by its Taylor series 2·Σ M⁽ᵏ⁾(h)·tᵏ/k! over odd
/// k, with one Mills ratio and the recurrence M⁽ᵏ⁺¹⁾ = h·M⁽ᵏ⁾ + k·M⁽ᵏ⁻¹⁾
/// (M′ = 1 + h·M). There the terms fall fast (t/|h| ≤ 0.05, or |h| < 1 and
/// t ≤ 0.21, where M⁽ᵏ⁾ grows like (k−1)!!) and the recurrence's growth
/// stays within a few ulps of each term.
fn mills_spread_by_taylor(h: f64, t: f64) -> f64 {
    let m0 = SQRT_PI_OVER_2 * erfcx(-h / SQRT_2);
    let (mut prev, mut cur) = (m0, 1.0 + h * m0);
    let t2 = t * t;
    let mut power = t;
    let mut sum = cur * t;
    let mut k = 1;
    while k < 21 {
        // Two steps of the recurrence: M⁽ᵏ⁺¹⁾ then M⁽ᵏ⁺²⁾.
        let next = h * cur + k as f64 * prev;
        let next2 = h * next + (k + 1) as f64 * cur;
        (prev, cur) = (next, next2);
        power *= t2 / ((k + 1) * (k + 2)) as f64;
        let term = cur * power;
        sum += term;
        k += 2;
        if term.abs() <= 1e-17 * sum.abs() {
            break;
        }
    }
    2.0 * sum
}

/// The normalised Black function at one log-moneyness x ≤ 0, with the
/// exponentials of x/2 computed once for every s it is asked about.
#[derive(Debug, Clone, Copy)]
pub struct Normalised {
    x: f64,
    /// e^(x/2), the bound b approaches as s grows.
    e_half: f64,
    e_minus_half: f64,
    /// sinh(x/2), exact to rounding also for tiny x (through expm1).
    sinh_half: f64,
}

impl Normalised {
    pub fn new(x: f64) -> Self {
        let half = 0.5 * x;
        if half.abs() < 0.5 {
            // sinh(y) = (E + E/(1 + E))/2 with E = e^y − 1: no cancellation.
            let e = libm::expm1(half);
            let e_half = 1.0 + e;
            Normalised {
                x,
                e_half,
                e_minus_half: 1.0 / e_half,
                sinh_half: 0.5 * (e + e / e_half),
            }
        } else {
            // 1 + E would lose e^y's low digits once E nears −1.
            let (e_half, e_minus_half) = (half.exp(), (-half).exp());
            Normalised {
                x,
                e_half,
                e_minus_half,
                sinh_half: 0.5 * (e_half - e_minus_half),
            }
        }
    }

    pub fn bound(&self) -> f64 {
        self.e_half
    }

    /// b(x, s) for s > 0, in the form that keeps its digits in each region
    /// (h = x/s, t = s/2):
    /// - little time value for the moneyness (t ≤ 0.05·max(1, |h|)):
    ///   b = φ(h)·e^(−t²/2)·(M(h + t) − M(h − t)), M = Φ/φ, that difference
    ///   by its Taylor series in t (h > −5) or as ∫ M′(z) dz by 5-point
    ///   Gauss-Legendre with M′ free of cancellation — no difference of
    ///   nearly equal numbers is taken, however small b is;
    /// - near the money (|h| < 1, |x| ≤ 1): through erf, where the two ½'s
    ///   cancel exactly;
    /// - out of the money (h + t < 0): b = ½·e^(−(h² + t²)/2)·(erfcx(−(h +
    ///   t)/√2) − erfcx(−(h − t)/√2)), which loses at most a digit here;
    /// - elsewhere the direct formula, whose two terms differ enough.
    #[inline]
    pub fn call(&self, s: f64) -> f64 {
        let x = self.x;
        let h = x / s;
        let t = 0.5 * s;
        // Near the money the erf form cancels by up to ~30× while t is below
        // about 0.2 (sinh(x/2) against the erf terms): the series there too.
        if t <= 0.05 * h.abs().max(1.0) || (h > -1.0 && t <= 0.21) {
            let spread = if h > -5.0 {
                mills_spread_by_taylor(h, t)
            } else {
                let mut integral = 0.0;
                for (node, weight) in GL5 {
                    integral += weight * mills_derivative(h + t * node);
                }
                integral * t
            };
            // φ(h)·e^(−t²/2) in one exponential.
            return INV_SQRT_2PI * (-0.5 * (h * h + t * t)).exp() * spread;
        }
        if h > -1.0 && x >= -1.0 {
            let a = self.e_half * libm::erf((h + t) / SQRT_2);
            let b = self.e_minus_half * libm::erf((h - t) / SQRT_2);
            return self.sinh_half + 0.5 * (a - b);
        }
        if h + t < 0.0 {
            let scale = 0.5 * (-0.5 * (h * h + t * t)).exp();
            return scale * (erfcx(-(h + t) / SQRT_2) - erfcx(-(h - t) / SQRT_2));
        }
        self.e_half * norm_cdf(h + t) - self.e_minus_half * norm_cdf(h - t)
    }

    /// `e^(x/2) − b(x, s)`: a sum of two positive terms, so it keeps its
    /// digits where b is close to its bound (large s).
    #[inline]
    pub fn complement(&self, s: f64) -> f64 {
        let h = self.x / s;
        let t = 0.5 * s;
        self.e_half * norm_cdf(-h - t) + self.e_minus_half * norm_cdf(h - t)
    }

    /// ∂b/∂s: φ(h + t)·e^(x/2) = e^(−(h² + t²)/2)/√(2π).
    #[inline]
    pub fn vega(&self, s: f64) -> f64 {
        normalised_vega(self.x, s)
    }
}

/// b(x, s) for x ≤ 0, s > 0 (see [`Normalised::call`]).
#[inline]
pub fn normalised_call(x: f64, s: f64) -> f64 {
    Normalised::new(x).call(s)
}

/// `e^(x/2) − b(x, s)` for x ≤ 0.
#[inline]
pub fn normalised_complement(x: f64, s: f64) -> f64 {
    Normalised::new(x).complement(s)
}

/// ∂b/∂s, the normalised vega: φ(h + t)·e^(x/2) = e^(−(h² + t²)/2)/√(2π).
#[inline]
pub fn normalised_vega(x: f64, s: f64) -> f64 {
    let h = x / s;
    let t = 0.5 * s;
    INV_SQRT_2PI * (-0.5 * (h * h + t * t)).exp()
}

/// The inverse of Φ by Acklam's rational approximation (relative error
/// below 1.2e-9): good enough for a first guess, which is all it is for.
fn inverse_norm_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.024_25;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    }
}

/// The smallest control parameter that keeps the rational cubic's
/// denominator positive on the whole interval (r > −1).
const MIN_CONTROL: f64 = -(1.0 - 1.490_116_119_384_765_6e-8);
/// At or above this the rational cubic is taken as the straight line.
const MAX_CONTROL: f64 = 2.0 / (f64::EPSILON * f64::EPSILON);

/// Delbourgo-Gregory rational cubic through (x_l, y_l), (x_r, y_r) with end
/// slopes d_l, d_r and control parameter r (r = 3: the cubic Hermite).
fn rational_cubic(x: f64, x_l: f64, x_r: f64, y: (f64, f64), d: (f64, f64), r: f64) -> f64 {
    let (y_l, y_r) = y;
    let (d_l, d_r) = d;
    let h = x_r - x_l;
    if h.abs() <= 0.0 {
        return 0.5 * (y_l + y_r);
    }
    let t = (x - x_l) / h;
    let u = 1.0 - t;
    if r < MAX_CONTROL {
        let (t2, u2) = (t * t, u * u);
        (y_r * t2 * t + (r * y_r - h * d_r) * t2 * u + (r * y_l + h * d_l) * t * u2 + y_l * u2 * u)
            / (1.0 + (r - 3.0) * t * u)
    } else {
        y_r * t + y_l * u
    }
}

/// The least control parameter under which the rational cubic keeps the
/// monotonicity and convexity the end data have (Delbourgo & Gregory 1985).
fn minimum_control(d_l: f64, d_r: f64, slope: f64, prefer_shape: bool) -> f64 {
    let monotonic = d_l * slope >= 0.0 && d_r * slope >= 0.0;
    let convex = d_l <= slope && slope <= d_r;
    let concave = d_l >= slope && slope >= d_r;
    if !monotonic && !convex && !concave {
        return MIN_CONTROL;
    }
    let mut r1 = f64::MIN;
    let mut r2 = f64::MIN;
    if monotonic {
        if slope != 0.0 {
            r1 = (d_r + d_l) / slope;
        } else if prefer_shape {
            r1 = MAX_CONTROL;
        }
    }
    if convex || concave {
        let (s_minus_l, r_minus_s) = (slope - d_l, d_r - slope);
        if s_minus_l != 0.0 && r_minus_s != 0.0 {
            let span = d_r - d_l;
            r2 = (span / r_minus_s).abs().max((span / s_minus_l).abs());
        } else if prefer_shape {
            r2 = MAX_CONTROL;
        }
    } else if monotonic && prefer_shape {
        r2 = MAX_CONTROL;
    }
    MIN_CONTROL.max(r1).max(r2)
}

fn control_from(numerator: f64, denominator: f64) -> f64 {
    if numerator.abs() <= 0.0 {
        return 0.0;
    }
    if denominator.abs() <= f64::MIN_POSITIVE {
        return if numerator > 0.0 {
            MAX_CONTROL
        } else {
            MIN_CONTROL
        };
    }
    numerator / denominator
}

/// The control parameter that gives the rational cubic the second
/// derivative `second` at its left end, raised to keep its shape.
fn control_left(x: (f64, f64), y: (f64, f64), d: (f64, f64), second: f64, prefer: bool) -> f64 {
    let h = x.1 - x.0;
    let slope = (y.1 - y.0) / h;
    let r = control_from(0.5 * h * second + (d.1 - d.0), slope - d.0);
    r.max(minimum_control(d.0, d.1, slope, prefer))
}

/// As [`control_left`], for the second derivative at the right end.
fn control_right(x: (f64, f64), y: (f64, f64), d: (f64, f64), second: f64, prefer: bool) -> f64 {
    let h = x.1 - x.0;
    let slope = (y.1 - y.0) / h;
    let r = control_from(0.5 * h * second + (d.1 - d.0), d.1 - slope);
    r.max(minimum_control(d.0, d.1, slope, prefer))
}

/// The lower map f(s) = 2π|x|/√27 · Φ(−|x|/(√3·s))³, b's asymptote as
/// s → 0, with df/dβ and d²f/dβ² (β = b(x, s)) at s.
fn lower_map(x: f64, s: f64) -> (f64, f64, f64) {
    let ax = x.abs();
    let z = ax / (SQRT_3 * s);
    let y = z * z;
    let phi_big = norm_cdf(-z);
    let phi = norm_pdf(z);
    let f = TWO_PI_OVER_SQRT_27 * ax * phi_big * phi_big * phi_big;
    // φ(z)/b′(s) = e^(y + s²/8), so df/dβ stays finite where both underflow.
    let growth = (y + 0.125 * s * s).exp();
    let fp = 2.0 * std::f64::consts::PI * y * phi_big * phi_big * growth;
    // d²f/dβ² = (f_ss − f_s·b″/b′)/b′², with b″/b′ = x²/s³ − s/4 and
    // f_ss = 2π·y·Φ·φ/s·(yΦ + 2zφ − 2Φ).
    let curvature = x * x / (s * s * s) - 0.25 * s;
    let inv_vega = SQRT_2PI * (1.5 * y + 0.125 * s * s).exp();
    let fpp = 2.0
        * std::f64::consts::PI
        * y
        * phi_big
        * growth
        * inv_vega
        * ((y * phi_big + 2.0 * z * phi - 2.0 * phi_big) / s - phi_big * curvature);
    (f, fp, fpp)
}

fn inverse_lower_map(x: f64, f: f64) -> f64 {
    let u = (f / (TWO_PI_OVER_SQRT_27 * x.abs())).cbrt();
    x.abs() / (SQRT_3 * -inverse_norm_cdf(u))
}

/// The upper map f(s) = Φ(−s/2), 0 at b's bound, with df/dβ and d²f/dβ².
fn upper_map(x: f64, s: f64) -> (f64, f64, f64) {
    let h = x / s;
    let w = h * h;
    let f = norm_cdf(-0.5 * s);
    let fp = -0.5 * (0.5 * w).exp();
    let fpp = 0.5 * SQRT_2PI * (w + 0.125 * s * s).exp() * w / s;
    (f, fp, fpp)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Objective {
    /// g = 1/ln b − 1/ln β: near linear where b is exponentially small.
    Lower,
    /// g = b − β.
    Plain,
    /// g = ln(b_max − β) − ln(b_max − b): near linear as b nears its bound.
    Upper,
}

/// Solves b(x, s) = β for s > 0, given x ≤ 0 and 0 < β < e^(x/2).
pub fn implied_normalised(x: f64, beta: f64) -> f64 {
    debug_assert!(x <= 0.0 && beta > 0.0);
    let nb = Normalised::new(x);
    guess_and_refine(&nb, beta).unwrap_or_else(|| safeguarded(&nb, beta))
}

fn guess_and_refine(nb: &Normalised, beta: f64) -> Option<f64> {
    let (x, b_max) = (nb.x, nb.bound());
    let s_c = (-2.0 * x).sqrt();
    let (b_c, v_c) = if s_c > 0.0 {
        (nb.call(s_c), nb.vega(s_c))
    } else {
        (0.0, INV_SQRT_2PI)
    };
    let (guess, lo, hi, objective);
    if beta < b_c {
        let s_l = s_c - b_c / v_c;
        let b_l = if s_l > 0.0 { nb.call(s_l) } else { 0.0 };
        if beta < b_l {
            let (f_l, d_f_l, d2_f_l) = lower_map(x, s_l);
            let r = control_right((0.0, b_l), (0.0, f_l), (1.0, d_f_l), d2_f_l, true);
            let mut f = rational_cubic(beta, 0.0, b_l, (0.0, f_l), (1.0, d_f_l), r);
            if f.is_nan() || f <= 0.0 {
                let t = beta / b_l;
                f = (f_l * t + b_l * (1.0 - t)) * t;
            }
            guess = inverse_lower_map(x, f);
            (lo, hi, objective) = (0.0, s_l, Objective::Lower);
        } else {
            let v_l = nb.vega(s_l);
            let d = (1.0 / v_l, 1.0 / v_c);
            let r = control_right((b_l, b_c), (s_l, s_c), d, 0.0, false);
            guess = rational_cubic(beta, b_l, b_c, (s_l, s_c), d, r);
            (lo, hi, objective) = (s_l.max(0.0), s_c, Objective::Plain);
        }
    } else {
        let s_u = s_c + (b_max - b_c) / v_c;
        let b_u = nb.call(s_u);
        if beta <= b_u {
            let v_u = nb.vega(s_u);
            let d = (1.0 / v_c, 1.0 / v_u);
            let r = control_left((b_c, b_u), (s_c, s_u), d, 0.0, false);
            guess = rational_cubic(beta, b_c, b_u, (s_c, s_u), d, r);
            (lo, hi, objective) = (s_c, s_u, Objective::Plain);
        } else {
            let (f_u, d_f_u, d2_f_u) = upper_map(x, s_u);
            let r = control_left((b_u, b_max), (f_u, 0.0), (d_f_u, -0.5), d2_f_u, true);
            let mut f = rational_cubic(beta, b_u, b_max, (f_u, 0.0), (d_f_u, -0.5), r);
            if f.is_nan() || f <= 0.0 {
                let span = b_max - b_u;
                let t = (beta - b_u) / span;
                f = (f_u * (1.0 - t) + 0.5 * span * t) * (1.0 - t);
            }
            guess = -2.0 * inverse_norm_cdf(f);
            (lo, hi, objective) = (s_u, f64::INFINITY, Objective::Upper);
        }
    }
    if !guess.is_finite() {
        return None;
    }
    refine(nb, beta, guess, (lo, hi), objective)
}

/// Householder steps of order three on the branch's objective, inside a
/// bracket that every step narrows; None if they do not settle.
fn refine(
    nb: &Normalised,
    beta: f64,
    guess: f64,
    bracket: (f64, f64),
    objective: Objective,
) -> Option<f64> {
    let (x, b_max) = (nb.x, nb.bound());
    let (mut lo, mut hi) = bracket;
    let mut s = guess;
    // The bracket's ends are valid answers (β at b_c is s_c itself).
    if !(s >= lo && s <= hi && s > 0.0) {
        s = if hi.is_finite() {
            0.5 * (lo + hi)
        } else {
            2.0 * lo.max(1.0)
        };
    }
    let ln_beta = beta.ln();
    let room = b_max - beta;
    for _ in 0..12 {
        let inv_s = 1.0 / s;
        let h = x * inv_s;
        let vega = INV_SQRT_2PI * (-0.5 * (h * h + 0.25 * s * s)).exp();
        // b″/b′ and b‴/b′.
        let c2 = h * h * inv_s - 0.25 * s;
        let q = h * inv_s;
        let c3 = c2 * c2 - 3.0 * q * q - 0.25;
        let (nu, h2, h3) = match objective {
            Objective::Plain => {
                let b = nb.call(s);
                ((beta - b) / vega, c2, c3)
            }
            Objective::Lower => {
                let b = nb.call(s);
                if b.is_nan() || b <= 0.0 || vega <= 0.0 {
                    // Below what a double holds: s is too small.
                    lo = s;
                    s = if hi.is_finite() {
                        0.5 * (s + hi)
                    } else {
                        2.0 * s
                    };
                    continue;
                }
                let ln_b = b.ln();
                let p = vega / b;
                // ln β − ln b: its rounding (an ulp of |ln b|) is a step
                // error of an ulp over κ = s·p, which is large exactly
                // where |ln b| is.
                let nu = (ln_beta - ln_b) * ln_b * b / (ln_beta * vega);
                let inv = 1.0 / ln_b;
                (
                    nu,
                    c2 - p * (1.0 + 2.0 * inv),
                    c3 + 2.0 * p * p * (1.0 + 3.0 * inv * (1.0 + inv))
                        - 3.0 * c2 * p * (1.0 + 2.0 * inv),
                )
            }
            Objective::Upper => {
                let d = nb.complement(s);
                if d.is_nan() || d <= 0.0 || vega <= 0.0 {
                    hi = s;
                    s = 0.5 * (lo + s);
                    continue;
                }
                let q = vega / d;
                let nu = libm::log1p((d - room) / room) / q;
                (nu, c2 + q, c3 + 3.0 * q * c2 + 2.0 * q * q)
            }
        };
        if !nu.is_finite() {
            return None;
        }
        if nu > 0.0 {
            lo = lo.max(s);
        } else if nu < 0.0 {
            hi = hi.min(s);
        } else {
            return Some(s);
        }
        let mut factor = (1.0 + 0.5 * h2 * nu) / (1.0 + nu * (h2 + h3 * nu * (1.0 / 6.0)));
        if !(factor > 0.0 && factor.is_finite()) {
            factor = 1.0;
        }
        let step = nu * factor;
        let mut next = s + step;
        let inside = next >= lo && next <= hi && next > 0.0;
        if !inside {
            next = if next <= lo {
                0.5 * (s + lo)
            } else if hi.is_finite() {
                0.5 * (s + hi)
            } else {
                2.0 * s
            };
        }
        // Householder's method of order three converges quartically: a step
        // of relative size δ leaves an error of order δ⁴, below an ulp once
        // δ < 2⁻¹⁷ even where its constant is large (the exact-root tests hold
        // it to a few ulps). A step cut back into the bracket says nothing
        // about convergence. (The highest branch's bracket is open above.)
        if (inside && (next - s).abs() <= s * 7.629_394_531_25e-6)
            || (hi.is_finite() && hi - lo <= 4.0 * f64::EPSILON * hi)
        {
            return Some(next);
        }
        s = next;
    }
    None
}

/// The fallback: Newton steps on ln b inside a bisection bracket, then two
/// steps on b itself.
fn safeguarded(nb: &Normalised, beta: f64) -> f64 {
    let x = nb.x;
    let target = beta.ln();
    let f = |s: f64| nb.call(s);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while f(hi) < beta && hi < 1e6 {
        lo = hi;
        hi *= 2.0;
    }
    let mut s = if x == 0.0 {
        beta * SQRT_2PI
    } else {
        (2.0 * x.abs()).sqrt()
    }
    .clamp(lo.max(1e-12), hi);
    for _ in 0..200 {
        let b = f(s);
        if b > beta {
            hi = hi.min(s);
        } else {
            lo = lo.max(s);
        }
        let vega = nb.vega(s);
        let step = if b > 0.0 && vega > 0.0 {
            (b.ln() - target) * b / vega
        } else {
            f64::NAN
        };
        let mut next = s - step;
        if !(next > lo && next < hi) {
            next = if lo > 0.0 {
                0.5 * (lo + hi)
            } else {
                0.5 * hi.min(s)
            };
        }
        if (next - s).abs() <= 4.0 * f64::EPSILON * s || hi - lo <= 4.0 * f64::EPSILON * hi {
            s = next;
            break;
        }
        s = next;
    }
    for _ in 0..2 {
        let vega = nb.vega(s);
        if vega.is_nan() || vega <= 0.0 {
            break;
        }
        let next = s - (f(s) - beta) / vega;
        if next.is_nan() || next <= 0.0 || (next - s).abs() > 1e-6 * s {
            break;
        }
        s = next;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_norm_cdf_inverts_phi_to_its_stated_accuracy() {
        for i in 1..2000 {
            let p = i as f64 / 2000.0;
            for q in [p, p * 1e-6, p * 1e-100] {
                let z = inverse_norm_cdf(q);
                let back = norm_cdf(z);
                // A relative error δ in z moves Φ by about z²·δ relative.
                let tol = 1.5 * 1.15e-9 * z.abs().max(1.0).powi(2) * q.min(1.0 - q);
                assert!((back - q).abs() <= tol, "{q}: {z} → {back}");
            }
        }
    }

    #[test]
    fn rational_cubic_meets_its_end_values_slopes_and_the_fitted_curvature() {
        let (x, y, d) = ((1.0, 3.0), (2.0, 7.0), (0.5, 4.0));
        let r = control_left(x, y, d, 1.5, false);
        let at = |v: f64| rational_cubic(v, x.0, x.1, y, d, r);
        assert!((at(1.0) - 2.0).abs() < 1e-15 && (at(3.0) - 7.0).abs() < 1e-14);
        let e = 1e-5;
        assert!(((at(1.0 + e) - at(1.0)) / e - 0.5).abs() < 1e-4);
        assert!(((at(3.0) - at(3.0 - e)) / e - 4.0).abs() < 1e-4);
        let second = (at(1.0 + 2.0 * e) - 2.0 * at(1.0 + e) + at(1.0)) / (e * e);
        assert!((second - 1.5).abs() < 1e-3, "{second}");
    }

    /// The maps' β-derivatives are what the initial guesses are built on.
    #[test]
    fn map_derivatives_match_finite_differences() {
        for (x, s) in [(-0.5, 0.3), (-2.0, 0.7), (-0.1, 0.05), (-5.0, 1.0)] {
            for map in [lower_map as fn(f64, f64) -> (f64, f64, f64), upper_map] {
                let (_, fp, fpp) = map(x, s);
                let e = 1e-4 * s;
                let (f1, fp1, _) = map(x, s + e);
                let (f0, fp0, _) = map(x, s - e);
                let db = normalised_call(x, s + e) - normalised_call(x, s - e);
                let fd = (f1 - f0) / db;
                let fdd = (fp1 - fp0) / db;
                assert!((fd - fp).abs() <= 1e-5 * fp.abs(), "{x} {s}: {fd} vs {fp}");
                assert!(
                    (fdd - fpp).abs() <= 1e-4 * fpp.abs(),
                    "{x} {s}: {fdd} vs {fpp}"
                );
            }
        }
    }

    #[test]
    fn every_branch_converges_in_a_few_steps_to_the_fallback_answer() {
        for x in [-1e-8, -1e-3, -0.1, -1.0, -5.0, -30.0, -200.0] {
            for s in [1e-3, 0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 20.0] {
                let beta = normalised_call(x, s);
                if !(beta > 1e-300 && beta < 0.999_999 * (0.5 * x).exp()) {
                    continue;
                }
                let nb = Normalised::new(x);
                let fast = guess_and_refine(&nb, beta)
                    .unwrap_or_else(|| panic!("x {x} s {s}: did not settle"));
                let slow = safeguarded(&nb, beta);
                assert!(
                    (fast - slow).abs() <= 1e-11 * slow,
                    "x {x} s {s}: {fast} vs {slow}"
                );
                assert!((fast - s).abs() <= 1e-6 * s, "x {x} s {s}: {fast}");
            }
        }
    }

    /// Random inputs across the whole domain, including β exactly at the
    /// branch points: the fast path settles (no fallback) and agrees with
    /// the safeguarded solver.
    #[test]
    fn random_inputs_settle_on_the_fast_path() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut checked = 0;
        for i in 0..20_000 {
            let x = -(10f64.powf(-8.0 + 10.7 * next()));
            let nb = Normalised::new(x);
            let s_c = (-2.0 * x).sqrt();
            let s = match i % 10 {
                0 => s_c,
                1 => s_c - nb.call(s_c) / nb.vega(s_c),
                2 => s_c + (nb.bound() - nb.call(s_c)) / nb.vega(s_c),
                _ => 10f64.powf(-3.0 + 4.7 * next()),
            };
            let beta = nb.call(s);
            if !(beta > 1e-300 && beta < 0.999_999 * nb.bound()) {
                continue;
            }
            let fast =
                guess_and_refine(&nb, beta).unwrap_or_else(|| panic!("x {x} s {s}: fell back"));
            let slow = safeguarded(&nb, beta);
            // Near the bound a rounding of β (or of e^(x/2)) moves the root
            // by ε·β/b′: neither answer can be closer than that.
            let representable = 8.0 * f64::EPSILON * beta / nb.vega(slow);
            assert!(
                (fast - slow).abs() <= 16.0 * f64::EPSILON * slow + representable,
                "x {x} s {s}: {fast} vs {slow}"
            );
            checked += 1;
        }
        assert!(checked > 15_000, "{checked}");
    }
}
