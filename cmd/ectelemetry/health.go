package main

import (
	"context"
	"errors"
)

func runHealth(_ context.Context, e env) error {
	fs := newFlagSet(e, "health", "health [flags]")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	return errors.New("health: not built yet")
}
