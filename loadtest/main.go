package loadtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Main is `clickedge loadtest`: it parses args, runs until the schedule is
// done or SIGINT/SIGTERM, prints the summary and writes -json. It returns the
// exit code: 0 after a run, 1 when nothing succeeded or the JSON could not be
// written, 2 for bad flags.
func Main(args []string, stdout, stderr io.Writer) int {
	o, err := ParseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano() // printed, so the run can be replayed
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal the run drains its in-flight requests;
		// restoring default handling lets a second Ctrl-C end it at once.
		<-ctx.Done()
		stop()
	}()

	var progress io.Writer
	if isTerminal(stdout) {
		progress = stdout
	}
	fmt.Fprintf(stdout, "loadtest: %s at %s req/s for %v, campaign %s, mix %v, %d conns, seed %d\n",
		o.Target, fmtNum(o.Rate), o.Duration, o.Campaign, o.Mix, o.Conns, o.Seed)
	res, err := Run(ctx, o, progress)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
	res.WriteTable(stdout)
	code := 0
	if o.JSONPath != "" {
		if err := res.WriteJSON(o.JSONPath); err != nil {
			fmt.Fprintf(stderr, "loadtest: %v\n", err)
			code = 1
		}
	}
	var failed int64
	for _, n := range res.Errors {
		failed += n
	}
	if res.Requests == 0 || failed >= res.Requests+res.Errors[errNotSent] {
		fmt.Fprintf(stderr, "loadtest: no request to %s succeeded\n", o.Target)
		code = 1
	}
	return code
}

// isTerminal reports whether w is a character device, where a \r-rewritten
// progress line makes sense; a pipe or file gets only the summary.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
