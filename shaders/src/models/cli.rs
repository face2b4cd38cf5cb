//! The training options as clap arguments (`trainer`'s command line): the
//! common options, then each model's groups under their own headings.

use clap::{ArgMatches, Args, Command, FromArgMatches};

use super::option_groups;
use super::options::{CommonOptions, TrainOptions};

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
