package main

import (
	"context"
	"errors"
)

func runStats(_ context.Context, e env) error {
	fs := newFlagSet(e, "stats", "stats parse <file.tgz|folder>")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	return errors.New("stats: not built yet")
}
