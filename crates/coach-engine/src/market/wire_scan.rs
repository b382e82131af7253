//! The fast reader for Massive frames: flat JSON objects of numbers and plain
//! strings, read in one pass without allocating. Returns `None` whenever the
//! input is anything else, and the caller falls back to serde.

use std::borrow::Cow;

use super::{convert, Interner, MarketEvent, NumberOrOther, Wire};

/// Powers of ten exactly representable as f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// How deep an ignored value may nest before the scanner hands over to serde.
const MAX_DEPTH: u32 = 32;

/// Reads a whole frame; `None` means "let serde decide".
pub(super) fn frame(
    bytes: &[u8],
    interner: &mut Interner,
    out: &mut Vec<MarketEvent>,
) -> Option<usize> {
    let mut r = Reader { b: bytes, i: 0 };
    r.ws();
    r.eat(b'[')?;
    r.ws();
    let mut skipped = 0;
    if r.peek()? == b']' {
        r.i += 1;
    } else {
        loop {
            let w = r.event()?;
            skipped += convert(w, interner, out);
            r.ws();
            match r.next()? {
                b',' => r.ws(),
                b']' => break,
                _ => return None,
            }
        }
    }
    r.ws();
    (r.i == bytes.len()).then_some(skipped)
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    /// One event object into the shape serde would have produced.
    fn event(&mut self) -> Option<Wire<'a>> {
        self.eat(b'{')?;
        self.ws();
        let mut w = Wire::default();
        let mut ev = None;
        let mut seen = 0u32;
        if self.peek()? == b'}' {
            return None;
        }
        loop {
            let key = self.plain_bytes()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            let bit = match key {
                b"ev" => 0,
                b"sym" => 1,
                b"p" => 2,
                b"s" => 3,
                b"t" => 4,
                b"bp" => 5,
                b"ap" => 6,
                b"o" => 7,
                b"h" => 8,
                b"l" => 9,
                b"c" => 10,
                b"v" => 11,
                b"vw" => 12,
                b"e" => 13,
                b"status" => 14,
                b"message" => 15,
                _ => 31,
            };
            if bit != 31 {
                // serde rejects a duplicate field; let it.
                if seen & (1 << bit) != 0 {
                    return None;
                }
                seen |= 1 << bit;
            }
            match bit {
                0 => ev = Some(self.plain_string()?),
                1 => w.sym = Some(self.plain_string()?),
                2 => w.p = Some(self.f64()?),
                3 => w.s = Some(self.f64()?),
                4 => w.t = Some(self.i64()?),
                5 => w.bp = Some(self.f64()?),
                6 => w.ap = Some(self.f64()?),
                7 => w.o = Some(self.f64()?),
                8 => w.h = Some(self.f64()?),
                9 => w.l = Some(self.f64()?),
                10 => w.c = NumberOrOther(self.number_or_skip()?),
                11 => w.v = Some(self.f64()?),
                12 => w.vw = Some(self.f64()?),
                13 => w.e = Some(self.i64()?),
                14 => w.status = Some(Cow::Borrowed(self.plain_string()?)),
                15 => w.message = Some(Cow::Borrowed(self.plain_string()?)),
                _ => self.skip_value(0)?,
            }
            self.ws();
            match self.next()? {
                b',' => self.ws(),
                b'}' => break,
                _ => return None,
            }
        }
        w.ev = ev?;
        Some(w)
    }

    /// A string without escapes, borrowed from the frame.
    fn plain_string(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.plain_bytes()?).ok()
    }

    /// The bytes of a string without escapes (a key need not be UTF-8 checked
    /// to be compared with ours; the frame came in as a `&str` anyway).
    #[inline]
    fn plain_bytes(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            match self.next()? {
                b'"' => break,
                b'\\' => return None,
                c if c < 0x20 => return None,
                _ => {}
            }
        }
        Some(&self.b[start..self.i - 1])
    }

    /// A JSON number as f64, correctly rounded: short decimals exactly by
    /// one division (Clinger's fast path), anything longer by the standard
    /// library's parser.
    fn f64(&mut self) -> Option<f64> {
        let start = self.i;
        let neg = self.peek()? == b'-';
        if neg {
            self.i += 1;
        }
        let mut m: u64 = 0;
        let mut digits = 0u32;
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                while let Some(d @ b'0'..=b'9') = self.peek() {
                    m = m.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                    digits += 1;
                    self.i += 1;
                }
            }
            _ => return None,
        }
        let mut frac = 0usize;
        if self.peek() == Some(b'.') {
            self.i += 1;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                m = m.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                digits += 1;
                frac += 1;
                self.i += 1;
            }
            if frac == 0 {
                return None;
            }
        }
        let mut exponent = false;
        if let Some(b'e' | b'E') = self.peek() {
            exponent = true;
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            let digits_at = self.i;
            while let Some(b'0'..=b'9') = self.peek() {
                self.i += 1;
            }
            if self.i == digits_at {
                return None;
            }
        }
        if !exponent && digits <= 15 && frac < POW10.len() {
            // m < 10^15 < 2^53 and 10^frac are exact, so one IEEE division
            // is the correctly rounded value of the decimal.
            let v = m as f64 / POW10[frac];
            return Some(if neg { -v } else { v });
        }
        std::str::from_utf8(&self.b[start..self.i])
            .ok()?
            .parse()
            .ok()
    }

    /// A JSON integer that fits in i64 (what serde accepts for `Option<i64>`).
    fn i64(&mut self) -> Option<i64> {
        let neg = self.peek()? == b'-';
        if neg {
            self.i += 1;
        }
        let mut v: i64 = 0;
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                while let Some(d @ b'0'..=b'9') = self.peek() {
                    v = v.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
                    self.i += 1;
                }
            }
            _ => return None,
        }
        if let Some(b'.' | b'e' | b'E') = self.peek() {
            return None;
        }
        Some(if neg { -v } else { v })
    }

    /// `c`: a number for aggregates, a list of condition codes for trades.
    fn number_or_skip(&mut self) -> Option<Option<f64>> {
        match self.peek()? {
            b'-' | b'0'..=b'9' => self.f64().map(Some),
            b'[' | b'{' | b'"' | b'n' => {
                self.skip_value(0)?;
                Some(None)
            }
            _ => None,
        }
    }

    /// Reads past any JSON value, checking its grammar.
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.plain_string().map(|_| ()),
            b'[' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.next()? {
                        b',' => self.ws(),
                        b']' => return Some(()),
                        _ => return None,
                    }
                }
            }
            b'{' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.plain_string()?;
                    self.ws();
                    self.eat(b':')?;
                    self.ws();
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.next()? {
                        b',' => self.ws(),
                        b'}' => return Some(()),
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.f64().map(|_| ()),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }
}
