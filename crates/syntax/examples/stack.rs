fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case: usize = args[1].parse().unwrap();
    let kib: usize = args[2].parse().unwrap();
    let cases = [("(", ")"), ("[", "]"), ("{", "}"), ("-", ""), ("if c {", "}"), ("match c { _ => ", "}"), ("[[", "]; 1]"), ("a[", "]"), ("f(", ")")];
    let n = 1000;
    let s = if case < cases.len() {
        let (open, close) = cases[case];
        format!("sketch s() {{ let x = {}1{}; }}", open.repeat(n), close.repeat(n))
    } else if case == cases.len() {
        format!("hole h: {}bool{};", "[".repeat(n), "; 2]".repeat(n))
    } else {
        format!("examples {{ {}1{} => 1; }}", "[".repeat(n), "]".repeat(n))
    };
    let ok = std::thread::Builder::new().stack_size(kib * 1024).spawn(move || { let (m, d) = weft_syntax::parse(weft_syntax::FileId(0), &s); drop(m); d.len() }).unwrap().join().unwrap();
    println!("ok {ok}");
}
