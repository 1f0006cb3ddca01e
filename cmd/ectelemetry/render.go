package main

import (
	"context"
	"errors"
)

func runRender(_ context.Context, e env) error {
	fs := newFlagSet(e, "render", "render [flags]")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	return errors.New("render: not built yet")
}
