// The stand-alone simulation behind BENCHMARKS.md, "The SAT portfolio": the local search of
// weft_solve::local ((1 + λ)-ES, 1..=maxmut changed holes, neutral drift) on the 2-bit adder
// sketch, with the circuit hard-coded and bit-parallel over the 16 examples, to count moves.
// rustc -O local_search_adder.rs && ./local_search_adder LAMBDA MAXMUT SEEDS [RESTART [LUBY_UNIT]]
// Feasibility: (1+lambda)-ES with neutral drift on the TerpreT 2-bit adder sketch.
const W: usize = 5; const G: usize = 8;
fn init() -> [u16; W] {
    // example e: bits of initial wires; wire w's truth table bit e
    let mut t = [0u16; W];
    for e in 0..16u16 { for w in 0..4 { if (e >> (3 - w)) & 1 == 1 { t[w] |= 1 << e; } } }
    t
}
fn target() -> [u16; 3] {
    let mut t = [0u16; 3];
    for e in 0..16u16 {
        let w: Vec<u16> = (0..4).map(|i| (e >> (3 - i)) & 1).collect();
        let s = 2 * (w[0] + w[2]) + w[1] + w[3];
        for o in 0..3 { if (s >> (2 - o)) & 1 == 1 { t[o] |= 1 << e; } }
    }
    t
}
#[derive(Clone, Copy)]
struct P { g: [u8; G], a: [u8; G], b: [u8; G], o: [u8; G] }
fn eval(p: &P, init: &[u16; W], tgt: &[u16; 3]) -> u32 {
    let mut w = *init;
    for i in 0..G {
        let (x, y) = (w[p.a[i] as usize], w[p.b[i] as usize]);
        let r = match p.g[i] { 0 => x & y, 1 => x | y, 2 => x ^ y, 3 => !x, _ => x };
        w[p.o[i] as usize] = r;
    }
    (0..3).map(|k| (w[k] ^ tgt[k]).count_ones()).sum()
}
struct Rng(u64);
impl Rng { fn next(&mut self) -> u64 { self.0 ^= self.0 << 13; self.0 ^= self.0 >> 7; self.0 ^= self.0 << 17; self.0 }
  fn below(&mut self, n: u64) -> u64 { self.next() % n } }
fn mutate(p: &mut P, r: &mut Rng) {
    let h = r.below(32) as usize; let (f, i) = (h / 8, h % 8);
    let arr = match f { 0 => &mut p.g, 1 => &mut p.a, 2 => &mut p.b, _ => &mut p.o };
    let old = arr[i]; loop { let v = r.below(5) as u8; if v != old { arr[i] = v; break; } }
}
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let lambda: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(4);
    let maxmut: u64 = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(1);
    let (init, tgt) = (init(), target());
    let cap = 20_000_000u64;
    let mut results = vec![];
    let t0 = std::time::Instant::now();
    let ns: u64 = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(21); for seed in 1..=ns {
        let mut r = Rng(seed * 0x9E3779B97F4A7C15 | 1);
        let mut p = P { g: [0; G], a: [0; G], b: [0; G], o: [0; G] };
        for i in 0..G { p.g[i] = r.below(5) as u8; p.a[i] = r.below(5) as u8; p.b[i] = r.below(5) as u8; p.o[i] = r.below(5) as u8; }
        let mut f = eval(&p, &init, &tgt);
        let mut evals = 1u64;
        let restart: u64 = args.get(4).map(|s| s.parse().unwrap()).unwrap_or(u64::MAX);
        let mut since = 0u64; let mut li = 1u64; let luby_unit: u64 = args.get(5).map(|s| s.parse().unwrap()).unwrap_or(0);
        fn luby(i: u64) -> u64 { let mut k = 1; while (1u64 << k) - 1 < i { k += 1; } if (1u64 << k) - 1 == i { 1u64 << (k - 1) } else { luby(i - (1u64 << (k - 1)) + 1) } }
        let mut limit = if luby_unit > 0 { luby_unit * luby(1) } else { restart };
        while f > 0 && evals < cap {
            if since >= limit { since = 0; if luby_unit > 0 { li += 1; limit = luby_unit * luby(li); } for i in 0..G { p.g[i] = r.below(5) as u8; p.a[i] = r.below(5) as u8; p.b[i] = r.below(5) as u8; p.o[i] = r.below(5) as u8; } f = eval(&p, &init, &tgt); }
            since += lambda as u64;
            let mut best: Option<(P, u32)> = None;
            for _ in 0..lambda {
                let mut c = p; let k = 1 + r.below(maxmut);
                for _ in 0..k { mutate(&mut c, &mut r); }
                let fc = eval(&c, &init, &tgt); evals += 1;
                if best.map_or(true, |(_, fb)| fc < fb) { best = Some((c, fc)); }
            }
            let (c, fc) = best.unwrap();
            if fc <= f { p = c; f = fc; }
        }
        results.push(if f == 0 { evals } else { u64::MAX });
    }
    results.sort();
    let solved = results.iter().filter(|&&e| e != u64::MAX).count();
    println!("lambda={lambda} maxmut={maxmut} solved {solved}/{} median evals {:?} q25 {:?} q75 {:?} ({:.2}s)", results.len(), results[results.len()/2], results[results.len()/4], results[3*results.len()/4], t0.elapsed().as_secs_f64());
}
