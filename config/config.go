// Package config resolves leadstream's settings from, in order of
// precedence, command-line flags, LEADSTREAM_* environment variables and
// a JSON config file, over built-in defaults. Every setting is a flag; the
// same name, upper-cased with dashes as underscores and prefixed with
// LEADSTREAM_, is its environment variable, and the flag name is its key in
// the file. Flags are github.com/spf13/pflag flags (GNU style, --name).
//
// A flag marked deprecated (pflag's MarkDeprecated: the CLI marks so the
// shared flags a command accepts but does not use) is a known key of the
// file, but neither the file nor the environment sets it, so one file and
// one environment can serve every command.
package config

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// EnvName returns the environment variable of a flag: "data-dir" →
// "LEADSTREAM_DATA_DIR".
func EnvName(flagName string) string {
	return "LEADSTREAM_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Resolve fills every flag of fs that was not given on the command line
// from the environment, then from the JSON object in file (if file is not
// empty). getenv is os.Getenv outside tests.
func Resolve(fs *pflag.FlagSet, file string, getenv func(string) string) error {
	set := make(map[string]bool)
	fs.Visit(func(f *pflag.Flag) { set[f.Name] = true })
	fileValues := map[string]any{}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("config file: %w", err)
		}
		if err := json.Unmarshal(b, &fileValues); err != nil {
			return fmt.Errorf("config file %s: %w", file, err)
		}
		for k := range fileValues {
			if fs.Lookup(k) == nil && k != "config" {
				return fmt.Errorf("config file %s: unknown setting %q (run with --help for the settings)", file, k)
			}
		}
	}
	var firstErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if set[f.Name] || firstErr != nil || f.Deprecated != "" {
			return
		}
		if v := getenv(EnvName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				firstErr = fmt.Errorf("%s=%q: %w", EnvName(f.Name), v, err)
			}
			return
		}
		v, ok := fileValues[f.Name]
		if !ok {
			return
		}
		values := []any{v}
		if list, isList := v.([]any); isList {
			values = list
		}
		for _, item := range values {
			if err := fs.Set(f.Name, fmt.Sprint(item)); err != nil {
				firstErr = fmt.Errorf("config file %s: %s: %w", file, f.Name, err)
				return
			}
		}
	})
	return firstErr
}

// List is a repeatable, comma-separable string flag.
type List []string

// String implements pflag.Value.
func (l *List) String() string { return strings.Join(*l, ",") }

// Type implements pflag.Value: the word help shows after the flag.
func (l *List) Type() string { return "list" }

// Set implements pflag.Value.
func (l *List) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}
