//! bustle-check's command line.

pub use cmap_formats::bustle_shape::BustleMix;

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub map: String,
    pub mix: BustleMix,
    pub threads: usize,
    pub capacity_log2: u8,
    /// `--table-capacity`: `None` = bustle's `2^capacity_log2`.
    pub table_capacity: Option<usize>,
    pub operations: f64,
    pub seed: u64,
}

impl Shape {
    /// The capacity the map is created with.
    pub fn table_capacity(&self) -> usize {
        self.table_capacity.unwrap_or(1 << self.capacity_log2)
    }

    /// Parses `--flag value` pairs; the message names the flag and what was expected.
    pub fn parse(args: &[String]) -> Result<Shape, String> {
        let mut map = None;
        let mut mix = None;
        let mut threads = None;
        let mut shape = Shape {
            map: String::new(),
            mix: BustleMix::ReadHeavy,
            threads: 1,
            capacity_log2: 25,
            table_capacity: None,
            operations: 1.0,
            seed: 1,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it
                .next()
                .ok_or_else(|| format!("{flag}: expected a value after it"))?;
            let num = |what: &str| -> Result<u64, String> {
                value
                    .replace('_', "")
                    .parse::<u64>()
                    .map_err(|_| format!("{flag} {value}: expected {what}"))
            };
            match flag.as_str() {
                "--map" => map = Some(value.clone()),
                "--mix" => {
                    mix = Some(BustleMix::parse(value).ok_or_else(|| {
                        format!("--mix {value}: expected read-heavy, exchange or rapid-grow")
                    })?)
                }
                "--threads" => {
                    threads = Some(
                        usize::try_from(num("a thread count from 1 to 1024")?)
                            .ok()
                            .filter(|n| (1..=1024).contains(n))
                            .ok_or_else(|| format!("--threads {value}: expected 1 to 1024"))?,
                    )
                }
                "--capacity-log2" => {
                    shape.capacity_log2 = u8::try_from(num("a power of two from 4 to 32")?)
                        .ok()
                        .filter(|n| (4..=32).contains(n))
                        .ok_or_else(|| format!("--capacity-log2 {value}: expected 4 to 32"))?
                }
                "--table-capacity" => {
                    shape.table_capacity = Some(num("a capacity in entries")? as usize)
                }
                "--operations" => {
                    shape.operations = value
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && *x > 0.0)
                        .ok_or_else(|| {
                            format!(
                                "--operations {value}: expected a positive multiple of the capacity"
                            )
                        })?
                }
                "--seed" => shape.seed = num("an unsigned integer")?,
                _ => {
                    return Err(format!(
                        "{flag}: unknown flag; expected --map, --mix, --threads, --capacity-log2, --table-capacity, --operations or --seed"
                    ));
                }
            }
        }
        shape.map = map.ok_or("--map: required (a name from rust-runner --list-maps)")?;
        shape.mix = mix.ok_or("--mix: required (read-heavy, exchange or rapid-grow)")?;
        shape.threads = threads.ok_or("--threads: required")?;
        Ok(shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn a_full_command_line_parses() {
        let s = Shape::parse(&args(
            "--map dashmap-foldhash --mix exchange --threads 2 --capacity-log2 21 --table-capacity 4_194_304 --operations 0.5 --seed 7",
        ))
        .unwrap();
        assert_eq!(s.map, "dashmap-foldhash");
        assert_eq!(s.mix, BustleMix::Exchange);
        assert_eq!((s.threads, s.capacity_log2, s.seed), (2, 21, 7));
        assert_eq!(s.table_capacity(), 4_194_304);
        assert_eq!(s.operations, 0.5);
    }

    #[test]
    fn defaults_are_bustles() {
        let s = Shape::parse(&args("--map x --mix rapid-grow --threads 1")).unwrap();
        assert_eq!(s.table_capacity(), 1 << 25);
        assert_eq!(s.operations, 1.0);
    }

    #[test]
    fn bad_input_names_the_flag() {
        for (line, flag) in [
            ("--mix read_heavy --map x --threads 1", "--mix read_heavy"),
            ("--map x --mix exchange --threads 0", "--threads 0"),
            (
                "--map x --mix exchange --threads 1 --capacity-log2 40",
                "--capacity-log2 40",
            ),
            (
                "--map x --mix exchange --threads 1 --operations -1",
                "--operations -1",
            ),
            ("--map x --mix exchange", "--threads: required"),
            (
                "--map x --mix exchange --threads",
                "--threads: expected a value",
            ),
            ("--frob 1", "--frob: unknown flag"),
        ] {
            let e = Shape::parse(&args(line)).unwrap_err();
            assert!(e.starts_with(flag), "{line}: {e}");
        }
    }
}
