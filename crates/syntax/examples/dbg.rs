fn main() {
    let src = std::env::args().nth(1).unwrap();
    let src = if let Some(p) = src.strip_prefix('@') { std::fs::read_to_string(p).unwrap() } else { src };
    let mut map = weft_syntax::SourceMap::new();
    let f = map.add("x.wft", src.as_str());
    let (m, d) = weft_syntax::parse(f, &src);
    print!("{}", weft_syntax::render::render(&map, &d, false));
    if std::env::var("PRINT").is_ok() { print!("{}", weft_syntax::printer::print_module(&m)); }
}
