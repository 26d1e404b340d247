package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/leadstream/leadstream/connectors/providers"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/stages/notify"
	"github.com/leadstream/leadstream/stages/review"
)

// stageNames are the stages `leadstream stage` runs: the pipeline's, and
// notify (which needs --webhooks-file).
func stageNames() []string {
	return append(system.StageNames(), (&notify.Stage{}).Name())
}

// argWords are the words that complete a command's first argument (nil:
// files).
func argWords(cmd string) func() []string {
	switch cmd {
	case "stage":
		return func() []string { return append(stageNames(), "api") }
	case "review":
		return func() []string { return append([]string{"list"}, review.Decisions...) }
	}
	return nil
}

// flagWords are the values that complete a flag, wherever a command has it
// (nil: files).
func flagWords(flag string) func() []string {
	switch flag {
	case "provider":
		return func() []string { return append([]string{"csv"}, providers.Keys()...) }
	case "log-level":
		return func() []string { return []string{"debug", "info", "warn", "error"} }
	case "log-format":
		return func() []string { return []string{"text", "json"} }
	case "progress":
		return func() []string { return []string{"auto", "always", "never"} }
	case "group":
		return stageNames
	}
	return nil
}

// addCompletions sets cmd's completion of arguments and flag values.
func addCompletions(cmd *cobra.Command) {
	if words := argWords(cmd.Name()); words != nil {
		cmd.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveDefault
			}
			return words(), cobra.ShellCompDirectiveNoFileComp
		}
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		words := flagWords(f.Name)
		if words == nil || f.Hidden {
			return
		}
		// It fails only for an unknown flag or a second registration.
		_ = cmd.RegisterFlagCompletionFunc(f.Name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return words(), cobra.ShellCompDirectiveNoFileComp
		})
	})
}
