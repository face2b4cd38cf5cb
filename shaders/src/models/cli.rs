//! The training options as clap arguments (`trainer`'s command line): the
//! common options, then each model's groups under their own headings.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{ArgMatches, Args, Command, FromArgMatches};

use super::options::{CommonOptions, TrainOptions};
use super::{option_groups, MODELS};
use crate::train::transform::Preprocess;

/// `--model`: the registry's names, each with its help line.
pub fn model_parser() -> impl TypedValueParser<Value = String> {
    let values = MODELS.iter().map(|m| PossibleValue::new(m.info().kind).help(m.about()));
    PossibleValuesParser::new(values)
}

/// `--preprocess`: the reference's names, each with its help line.
pub fn preprocess_parser() -> impl TypedValueParser<Value = Preprocess> {
    let values = Preprocess::ALL.map(|(_, name, help)| PossibleValue::new(name).help(help));
    PossibleValuesParser::new(values).map(|s| s.parse::<Preprocess>().expect("one of the possible values"))
}

impl FromArgMatches for TrainOptions {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let common = CommonOptions::from_arg_matches(m)?;
        let mut groups = serde_json::Map::new();
        for g in option_groups() {
            groups.extend((g.from_matches)(m)?);
        }
        Ok(TrainOptions { common, groups })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = TrainOptions::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for TrainOptions {
    fn augment_args(cmd: Command) -> Command {
        let mut cmd = CommonOptions::augment_args(cmd);
        for g in option_groups() {
            cmd = (g.augment)(cmd);
        }
        cmd.next_help_heading(None::<&str>)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl TrainOptions {
    /// Every option at its command-line default (before [`TrainOptions::resolve`]).
    pub fn cli_defaults() -> TrainOptions {
        let cmd = TrainOptions::augment_args(Command::new("trainer").no_binary_name(true));
        let m = cmd.try_get_matches_from(std::iter::empty::<&str>()).expect("the defaults parse");
        TrainOptions::from_arg_matches(&m).expect("the defaults parse")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_defaults_are_the_types_defaults() {
        assert_eq!(TrainOptions::cli_defaults(), TrainOptions::default());
    }
}
