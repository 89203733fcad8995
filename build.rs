// Compiles the one piece of C: long double arithmetic for INCRBYFLOAT (see csrc/longdouble.c).
fn main() {
    println!("cargo:rerun-if-changed=csrc/longdouble.c");
    cc::Build::new().file("csrc/longdouble.c").opt_level(2).compile("shardis_longdouble");
}
