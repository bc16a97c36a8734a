// Command argocd is one multi-call binary of Argo CD's own commands, built
// from the module github.com/argoproj/argo-cd/v3 for prenv's end-to-end
// tests, and of argocd-oracle (oracle.go), prenv's oracle for `render apps`.
// As Argo CD's own cmd/main.go does, it picks the command by the base name
// of argv[0] (or by $ARGOCD_BINARY_NAME, which Argo CD's Procfile sets):
//
//	argocd-application-controller     cmd/argocd-application-controller
//	argocd-repo-server                cmd/argocd-repo-server
//	argocd-applicationset-controller  cmd/argocd-applicationset-controller
//	argocd-cmp-server                 cmd/argocd-cmp-server
//	argocd-notifications              cmd/argocd-notification
//	argocd-oracle                     oracle.go
//
// tools/argocd/build.sh links each name to the one binary. Argo CD's API
// server, CLI, Dex and commit server are not linked in: nothing in prenv's
// tests runs them, and leaving them out leaves out the UI's dependencies.
// Any other name prints the list and exits 2.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	appcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	applicationset "github.com/argoproj/argo-cd/v3/cmd/argocd-applicationset-controller/commands"
	cmpserver "github.com/argoproj/argo-cd/v3/cmd/argocd-cmp-server/commands"
	notification "github.com/argoproj/argo-cd/v3/cmd/argocd-notification/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	"github.com/argoproj/argo-cd/v3/util/log"
)

// binaryNameEnv overrides argv[0]'s base name, as in Argo CD's cmd/main.go.
const binaryNameEnv = "ARGOCD_BINARY_NAME"

// commands maps each name to Argo CD's command; silent marks those whose
// errors Argo CD's main prints itself (the cmp-server).
var commands = map[string]struct {
	new    func() *cobra.Command
	silent bool
}{
	"argocd-application-controller":    {new: appcontroller.NewCommand},
	"argocd-repo-server":               {new: reposerver.NewCommand},
	"argocd-applicationset-controller": {new: applicationset.NewCommand},
	"argocd-cmp-server":                {new: cmpserver.NewCommand, silent: true},
	"argocd-notifications":             {new: notification.NewCommand},
}

func main() {
	name := filepath.Base(os.Args[0])
	if v := os.Getenv(binaryNameEnv); v != "" {
		name = v
	}
	if name == "argocd-oracle" {
		os.Exit(oracleMain())
	}
	c, ok := commands[name]
	if !ok {
		names := []string{"argocd-oracle"}
		for n := range commands {
			names = append(names, n)
		}
		slices.Sort(names)
		fmt.Fprintf(os.Stderr, "argocd: called as %q; call it as one of: %s\n", name, strings.Join(names, ", "))
		os.Exit(2)
	}
	// As Argo CD's cmd/main.go: klog logs through logrus, at the level and
	// in the format the command's flags set.
	klog.SetLogger(log.NewLogrusLogger(log.NewWithCurrentConfig()))
	cmd := c.new()
	if c.silent {
		cmd.SilenceErrors = true
		cmd.SilenceUsage = true
	}
	if err := cmd.Execute(); err != nil {
		if c.silent {
			fmt.Fprintln(os.Stderr, err)
		}
		var exit interface{ ExitCode() int }
		if errors.As(err, &exit) {
			os.Exit(exit.ExitCode())
		}
		os.Exit(1)
	}
}
