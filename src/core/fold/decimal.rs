//! Decimal text to `f64`, correctly rounded (round half to even), without the standard
//! library's parser.
//!
//! `str::parse::<f64>` links about 14 KB (gzipped) into the npm package, mostly a table
//! of 128-bit powers of five that barely compresses (docs/size.md). Built-in folds only
//! need JSON numbers, so this parses those: Clinger's fast path when the digits and the
//! power of ten are both exact in an `f64` (one correctly rounded operation), otherwise an
//! exact big-integer division. The same code runs on every platform, so every replica gets
//! the same bits; tests compare it with the standard library on many inputs.

/// The value of a JSON number (`-?digits(.digits)?([eE][+-]?digits)?`); `None` when `raw`
/// is not one or its value is not finite.
pub fn parse(raw: &str) -> Option<f64> {
    let b = raw.as_bytes();
    let neg = b.first() == Some(&b'-');
    let mut i = usize::from(neg);
    let mut digits: Vec<u8> = Vec::new();
    let mut e10: i64 = 0;
    let int_start = i;
    while let Some(d @ b'0'..=b'9') = b.get(i) {
        digits.push(d - b'0');
        i += 1;
    }
    if i == int_start || (b[int_start] == b'0' && i - int_start > 1) {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(d @ b'0'..=b'9') = b.get(i) {
            digits.push(d - b'0');
            i += 1;
        }
        if i == start {
            return None;
        }
        e10 -= (i - start) as i64;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let eneg = b.get(i) == Some(&b'-');
        i += usize::from(matches!(b.get(i), Some(b'+' | b'-')));
        let start = i;
        let mut e: i64 = 0;
        while let Some(d @ b'0'..=b'9') = b.get(i) {
            e = (e * 10 + i64::from(d - b'0')).min(1 << 40);
            i += 1;
        }
        if i == start {
            return None;
        }
        e10 += if eneg { -e } else { e };
    }
    if i != b.len() {
        return None;
    }
    let v = magnitude(&mut digits, e10)?;
    Some(if neg { -v } else { v })
}

/// `digits × 10^e10` as the nearest `f64` (`None` when that overflows).
fn magnitude(digits: &mut Vec<u8>, mut e10: i64) -> Option<f64> {
    let lead = digits.iter().take_while(|d| **d == 0).count();
    digits.drain(..lead);
    while digits.last() == Some(&0) {
        digits.pop();
        e10 += 1;
    }
    // A halfway point between two doubles has at most 767 significant digits: beyond 800,
    // the rest only matters as "something more", which a final 1 stands for.
    if digits.len() > 800 {
        let more = digits[800..].iter().any(|d| *d != 0);
        e10 += (digits.len() - 800) as i64;
        digits.truncate(800);
        if more {
            digits.push(1);
            e10 -= 1;
        }
    }
    let n = digits.len() as i64;
    if n == 0 || n + e10 < -330 {
        return Some(0.0);
    }
    if n + e10 > 310 {
        return None;
    }
    if n <= 15 && (-22..=22).contains(&e10) {
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
            1e19, 1e20, 1e21, 1e22,
        ];
        let m = digits.iter().fold(0u64, |m, d| m * 10 + u64::from(*d)) as f64;
        let p = POW10[e10.unsigned_abs() as usize];
        return Some(if e10 < 0 { m / p } else { m * p });
    }
    // Exact: value = num / den; find q = floor(value / 2^k) with 53 bits, then round.
    let mut num = vec![0u32];
    for d in digits.iter() {
        mul_add(&mut num, 10, u32::from(*d));
    }
    let mut den = vec![1u32];
    let scaled = if e10 < 0 { &mut den } else { &mut num };
    let mut e = e10.unsigned_abs();
    while e > 0 {
        let step = e.min(9);
        mul_add(scaled, 10u32.pow(step as u32), 0);
        e -= step;
    }
    let mut k = bits(&num) as i64 - bits(&den) as i64 - 53;
    loop {
        let k2 = k.max(-1074);
        let (q, rem, div) = divide(&num, &den, k2);
        if q >= 1 << 53 {
            k += 1; // the estimate was one bit short
            continue;
        }
        // Round half to even on the remainder.
        let up = match cmp(&shl(&rem, 1), &div) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => q & 1 == 1,
            std::cmp::Ordering::Less => false,
        };
        let (mut q, mut k) = (q + u64::from(up), k2);
        if q == 1 << 53 {
            q >>= 1;
            k += 1;
        }
        if k > 971 {
            return None;
        }
        return Some(f64::from_bits(if q >= 1 << 52 {
            ((k + 52 + 1023) as u64) << 52 | (q & ((1 << 52) - 1))
        } else {
            q // subnormal: k is -1074
        }));
    }
}

/// `x = x × m + a` on little-endian 32-bit limbs.
fn mul_add(x: &mut Vec<u32>, m: u32, a: u32) {
    let mut carry = u64::from(a);
    for limb in x.iter_mut() {
        let v = u64::from(*limb) * u64::from(m) + carry;
        *limb = v as u32;
        carry = v >> 32;
    }
    if carry > 0 {
        x.push(carry as u32);
    }
}

/// Number of significant bits.
fn bits(x: &[u32]) -> usize {
    x.iter().rposition(|l| *l != 0).map_or(0, |i| i * 32 + 32 - x[i].leading_zeros() as usize)
}

fn shl(x: &[u32], s: usize) -> Vec<u32> {
    let (limbs, s) = (s / 32, s % 32);
    let mut out = vec![0u32; limbs];
    let mut carry = 0u32;
    for l in x {
        out.push(if s == 0 { *l } else { (l << s) | carry });
        carry = if s == 0 { 0 } else { l >> (32 - s) };
    }
    out.push(carry);
    out
}

fn cmp(a: &[u32], b: &[u32]) -> std::cmp::Ordering {
    let (la, lb) = (bits(a), bits(b));
    if la != lb {
        return la.cmp(&lb);
    }
    for i in (0..la.div_ceil(32)).rev() {
        let (x, y) = (a.get(i).copied().unwrap_or(0), b.get(i).copied().unwrap_or(0));
        if x != y {
            return x.cmp(&y);
        }
    }
    std::cmp::Ordering::Equal
}

fn shr1(x: &mut [u32]) {
    let mut carry = 0;
    for l in x.iter_mut().rev() {
        let next = *l << 31;
        *l = (*l >> 1) | carry;
        carry = next;
    }
}

/// `a -= b` (a ≥ b).
fn sub(a: &mut [u32], b: &[u32]) {
    let mut borrow = 0i64;
    for (i, limb) in a.iter_mut().enumerate() {
        let v = i64::from(*limb) - i64::from(b.get(i).copied().unwrap_or(0)) - borrow;
        *limb = v.rem_euclid(1 << 32) as u32;
        borrow = i64::from(v < 0);
    }
}

/// `floor(num / (den × 2^k))` (below 2^54 by the caller's choice of `k`), with the
/// remainder and the divisor both scaled by the same power of two.
fn divide(num: &[u32], den: &[u32], k: i64) -> (u64, Vec<u32>, Vec<u32>) {
    let (mut rem, div) =
        if k >= 0 { (num.to_vec(), shl(den, k as usize)) } else { (shl(num, k.unsigned_abs() as usize), den.to_vec()) };
    // Long division, one quotient bit at a time: `d` is `div << bit`, halved each step.
    let mut d = shl(&div, 54);
    let mut q = 0u64;
    for bit in (0..55).rev() {
        if cmp(&rem, &d) != std::cmp::Ordering::Less {
            sub(&mut rem, &d);
            q |= 1 << bit;
        }
        shr1(&mut d);
    }
    (q, rem, div)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(s: &str) {
        let std = s.parse::<f64>().ok().filter(|v| v.is_finite());
        assert_eq!(parse(s).map(f64::to_bits), std.map(f64::to_bits), "{s}");
    }

    #[test]
    fn edge_cases_match_the_standard_library() {
        for s in [
            "0",
            "-0",
            "0.0",
            "1",
            "-1",
            "0.1",
            "0.30000000000000004",
            "19.99",
            "1e22",
            "1e23",
            "9007199254740993",
            "9007199254740995",
            "9007199254740993.0000000000000001",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "2.2250738585072011e-308",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "1e308",
            "1e309",
            "1e-400",
            "123456789012345678901234567890e-40",
            "0.000001",
            "1E5",
            "1e+5",
            "5e-1",
            "0.1000000000000000055511151231257827021181583404541015625",
            "8.98846567431158e307",
            "2.225073858507201136057409796709131975934819546351645648e-308",
            "1e-320",
            "3e-324",
        ] {
            check(s);
        }
        let long = format!("1.{}1e-5", "0".repeat(1000));
        check(&long);
        let halfway = "9007199254740993".to_string() + &"0".repeat(900);
        check(&halfway);
        check(&(halfway.clone() + "1"));
        for bad in ["", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1x", "inf", "NaN", "--1", "1.2.3"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn random_numbers_match_the_standard_library() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..50_000 {
            let digits: String = (0..1 + next(25)).map(|_| char::from(b'0' + next(10) as u8)).collect();
            let digits = digits.trim_start_matches('0');
            let digits = if digits.is_empty() { "7" } else { digits };
            let cut = next(digits.len() as u64 + 1) as usize;
            let mut s = digits[..cut.max(1)].to_string();
            if cut < digits.len() && cut > 0 {
                s = format!("{s}.{}", &digits[cut..]);
            }
            if next(2) == 0 {
                s = format!("{s}e{}", next(700) as i64 - 350);
            }
            check(&s);
        }
    }
}
