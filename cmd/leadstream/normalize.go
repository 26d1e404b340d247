package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/stages/validate"
)

const normalizeHelp = `Shows what the pipeline will make of your data, without running it: reads
records (canonical CSV, or a provider export, detected or named with
--provider) from files or standard input ("-") and prints one JSON line per
record: the canonical lead, the normalisation issues and the validation
verdict (rejected, review or valid, with reasons and the quality score).
Malformed rows print their error.

Examples:
  leadstream normalize examples/leads.csv | head
  cat apollo-export.csv | leadstream normalize --provider apollo -`

// normalized is one output line.
type normalized struct {
	File    string       `json:"file"`
	Line    int          `json:"line"`
	Error   string       `json:"error,omitempty"`
	Lead    *lead.Lead   `json:"lead,omitempty"`
	Issues  []lead.Issue `json:"issues,omitempty"`
	Verdict string       `json:"verdict,omitempty"`
	Reasons []string     `json:"reasons,omitempty"`
	Quality int          `json:"quality,omitempty"`
}

func normalizeCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("normalize", "[FILE|-]... [flags]", normalizeHelp, stderr, configFlag, memoryFlags)
	provider := c.fs.String("provider", "", "source key of the input (csv = canonical); empty detects it from the header")
	mappings := c.fs.String("mappings", "", "JSON file overriding or adding field mappings per provider")
	if err := c.parse(args); err != nil {
		return err
	}
	files := c.fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	enc := json.NewEncoder(stdout)
	for _, f := range files {
		if err := normalizeFile(f, *provider, *mappings, enc); err != nil {
			return err
		}
	}
	return nil
}

func normalizeFile(path, provider, mappings string, enc *json.Encoder) error {
	name := path
	if path == "-" {
		// Detection and XLSX need a seekable file.
		tmp, err := os.CreateTemp("", "leadstream-stdin-")
		if err != nil {
			return fmt.Errorf("stdin: %w", err)
		}
		defer os.Remove(tmp.Name())
		if _, err := io.Copy(tmp, os.Stdin); err != nil {
			tmp.Close()
			return fmt.Errorf("stdin: %w", err)
		}
		tmp.Close()
		path, name = tmp.Name(), "stdin"
	}
	open, source, err := system.Opener(path, provider, mappings, []string{})
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	rows, err := open(f)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		out := normalized{File: name, Line: row.Line}
		if row.Err != nil {
			out.Error = row.Err.Error()
		} else {
			l, issues := lead.Normalize(row.Fields, lead.Source{Key: source, RecordID: row.Fields["record_id"]})
			v := validate.Check(&l, validate.DefaultReviewBelow)
			out.Lead, out.Issues, out.Reasons, out.Quality = &l, issues, v.Reasons, v.Quality
			out.Verdict = string(v.Outcome)
			if out.Verdict == "" {
				out.Verdict = "valid"
			}
		}
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
}
