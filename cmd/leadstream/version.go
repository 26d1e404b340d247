package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=…"; left
// at "dev", the version comes from the build's VCS stamp.
var version = "dev"

const versionHelp = `Prints leadstream's version and what it was built from: the commit, its
time and whether the working tree had uncommitted changes, as "go build"
stamps them (runtime/debug.ReadBuildInfo). A version given at build time
with -ldflags "-X main.version=v1.2.3" names the release instead.

Example:
  leadstream version`

func versionCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("version", "", versionHelp, stderr, noSharedFlags)
	if err := c.parse(args); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprint(stdout, versionText(version, info))
	return nil
}

// buildStamp is what the Go toolchain recorded about the build.
type buildStamp struct {
	module, revision, time, goVersion string
	modified                          bool
}

func stampOf(info *debug.BuildInfo) buildStamp {
	var st buildStamp
	if info == nil {
		return st
	}
	st.module, st.goVersion = info.Main.Version, info.GoVersion
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			st.revision = s.Value
		case "vcs.time":
			st.time = s.Value
		case "vcs.modified":
			st.modified = s.Value == "true"
		}
	}
	return st
}

// versionOf is the one-word version: the -ldflags one, else the module
// version the toolchain derived from VCS, else dev with the commit.
func versionOf(ldflags string, info *debug.BuildInfo) string {
	if ldflags != "" && ldflags != "dev" {
		return ldflags
	}
	st := stampOf(info)
	if st.module != "" && st.module != "(devel)" {
		return st.module
	}
	if st.revision != "" {
		v := "dev-" + st.revision[:min(12, len(st.revision))]
		if st.modified {
			v += "-modified"
		}
		return v
	}
	return "dev"
}

// appVersion is the version the API and the outbound webhooks report.
func appVersion() string {
	info, _ := debug.ReadBuildInfo()
	return versionOf(version, info)
}

// versionText is what `leadstream version` prints.
func versionText(ldflags string, info *debug.BuildInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "leadstream %s\n", versionOf(ldflags, info))
	st := stampOf(info)
	if st.revision != "" {
		fmt.Fprintf(&b, "commit:   %s\n", st.revision)
		if st.time != "" {
			fmt.Fprintf(&b, "date:     %s\n", st.time)
		}
		fmt.Fprintf(&b, "modified: %v\n", st.modified)
	}
	if st.goVersion != "" {
		fmt.Fprintf(&b, "go:       %s\n", st.goVersion)
	}
	return b.String()
}
