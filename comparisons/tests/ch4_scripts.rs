//! scripts/ch4_http_open.sh refuses bad settings before it builds or measures
//! anything: exit 2, a message naming the variable, OUT_DIR untouched.

use std::path::Path;
use std::process::Command;

fn script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/ch4_http_open.sh")
}

#[test]
fn ch4_http_open_bad_settings_exit_2_naming_the_variable() {
    let out = std::env::temp_dir().join(format!("ch4-open-bad-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("http-open.md"), "kept\n").unwrap();
    let cases: [(&str, &str); 7] = [
        ("CH4_OPEN_FRACTIONS", "0.5,,1"),
        ("CH4_OPEN_CONNS", "8,16"),
        ("CH4_OPEN_REPEATS", "0"),
        ("CH4_OPEN_CLOSED_CONNS", "1,x"),
        ("CH4_OPEN_DURATION", "soon"),
        ("CH4_OPEN_WARMUP", "-1s"),
        ("CH4_OPEN_SERVERS", "java:hashmap"),
    ];
    for (var, value) in cases {
        let o = Command::new("bash")
            .arg(script())
            .arg(&out)
            .env(var, value)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        let name = var.trim_start_matches("CH4_OPEN_");
        assert_eq!(o.status.code(), Some(2), "{var}={value}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains(value),
            "{var}={value}: {stderr}"
        );
        assert!(
            !stderr.contains("building"),
            "{var}={value}: refused only after building: {stderr}"
        );
    }
    let o = Command::new("bash")
        .arg(script())
        .arg(out.join("no-such-dir"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("OUT_DIR"));
    assert_eq!(
        std::fs::read_to_string(out.join("http-open.md")).unwrap(),
        "kept\n"
    );
    std::fs::remove_dir_all(&out).unwrap();
}
