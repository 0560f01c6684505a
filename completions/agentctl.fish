# fish completion for agentctl(1).
# Install: copy to ~/.config/fish/completions/agentctl.fish.

set -l agentctl_verbs validate plan deploy start status inspect list logs restart stop query cleanup monitor events version help

function __agentctl_no_verb
    set -l verbs validate plan deploy start status inspect list logs restart stop query cleanup monitor events version help
    not __fish_seen_subcommand_from $verbs
end

function __agentctl_formats
    # plan alone also prints Graphviz, status and deploy a wide table; before the verb is
    # known every format is offered.
    printf '%s\n' table json yaml
    if __fish_seen_subcommand_from plan; or __agentctl_no_verb
        echo dot
    end
    if __fish_seen_subcommand_from status deploy start; or __agentctl_no_verb
        echo wide
    end
end

# Names of recorded jobs (agentctl list --all, against a --state-dir given on the line).
function __agentctl_jobs
    set -l tokens (commandline -opc)
    set -l state
    for i in (seq (count $tokens))
        if test "$tokens[$i]" = --state-dir; and test $i -lt (count $tokens)
            set state --state-dir $tokens[(math $i + 1)]
        end
    end
    command -q $tokens[1]; or return
    $tokens[1] $state list --all --no-color 2>/dev/null | awk 'NR > 1 { print $1 }'
end

complete -c agentctl -f

# Verbs.
complete -c agentctl -n __agentctl_no_verb -a validate -d 'Check job files'
complete -c agentctl -n __agentctl_no_verb -a plan -d 'Show what a deploy would do'
complete -c agentctl -n __agentctl_no_verb -a deploy -d 'Start a job or bring it up to date'
complete -c agentctl -n __agentctl_no_verb -a start -d 'Start a job (same as deploy)'
complete -c agentctl -n __agentctl_no_verb -a status -d 'Live status of deployed jobs'
complete -c agentctl -n __agentctl_no_verb -a inspect -d 'Command, environment, peers, files of a job'
complete -c agentctl -n __agentctl_no_verb -a list -d 'List deployed jobs'
complete -c agentctl -n __agentctl_no_verb -a logs -d 'Print the agents output'
complete -c agentctl -n __agentctl_no_verb -a restart -d 'Restart a job or some agents'
complete -c agentctl -n __agentctl_no_verb -a stop -d 'Stop a job or some agents'
complete -c agentctl -n __agentctl_no_verb -a query -d 'Send a query to the entry point'
complete -c agentctl -n __agentctl_no_verb -a cleanup -d 'Forget finished jobs'
complete -c agentctl -n __agentctl_no_verb -a monitor -d 'Watch a job: health, restarts, metrics'
complete -c agentctl -n __agentctl_no_verb -a events -d 'Recorded events of jobs'
complete -c agentctl -n __agentctl_no_verb -a version -d 'Print the version'
complete -c agentctl -n __agentctl_no_verb -a help -d 'Print the help of a verb'

# Global options, valid before or after the verb.
complete -c agentctl -l state-dir -r -a '(__fish_complete_directories)' -d 'State directory'
complete -c agentctl -s o -l output -x -a '(__agentctl_formats)' -d 'Output format'
complete -c agentctl -l format -x -a '(__agentctl_formats)' -d 'Output format'
complete -c agentctl -l no-color -d 'Never colour the output'
complete -c agentctl -s q -l quiet -d 'Print only errors'
complete -c agentctl -s v -l verbose -d 'Print more detail'
complete -c agentctl -l known-hosts -r -F -d 'SSH known_hosts file'
complete -c agentctl -l ssh-config -r -F -d 'ssh_config file'
complete -c agentctl -l accept-new-host-keys -d 'Add unknown SSH host keys to known_hosts'
complete -c agentctl -l parallel -x -d 'SSH hosts acted on at once'
complete -c agentctl -s h -l help -d 'Print the usage'
complete -c agentctl -l version -d 'Print the version'

# validate FILE... [--strict]; plan FILE: job files are YAML.
complete -c agentctl -n '__fish_seen_subcommand_from validate' -l strict -d 'Treat unknown keys as errors'
complete -c agentctl -n '__fish_seen_subcommand_from validate plan' -a '(__fish_complete_suffix .yaml; __fish_complete_suffix .yml)'

# deploy FILE / start FILE
set -l dep '__fish_seen_subcommand_from deploy start'
complete -c agentctl -n $dep -a '(__fish_complete_suffix .yaml; __fish_complete_suffix .yml)'
complete -c agentctl -n $dep -l name -x -d 'Deploy under this job name'
complete -c agentctl -n $dep -l timeout -x -d 'Readiness deadline of each agent'
complete -c agentctl -n $dep -l on-failure -x -a 'rollback keep' -d 'What a failure does'
complete -c agentctl -n $dep -l force-recreate -d 'Replace every agent'
complete -c agentctl -n $dep -l dry-run -d 'Print what would change; do nothing'
complete -c agentctl -n $dep -l lock-wait -x -d 'Wait for the job lock'
complete -c agentctl -n $dep -l progress -x -a 'auto console plain json' -d 'Progress style'
complete -c agentctl -n $dep -l force -d 'Deploy although another file deployed the job'
complete -c agentctl -n $dep -l skip-preflight -d 'Skip the checks before the deploy'

# Verbs that take a deployed job.
complete -c agentctl -n '__fish_seen_subcommand_from status inspect logs restart stop query cleanup' -a '(__agentctl_jobs)'
complete -c agentctl -n '__fish_seen_subcommand_from status' -l check -d 'Exit 1 unless every instance is up'
complete -c agentctl -n '__fish_seen_subcommand_from list' -s a -l all -d 'Include stopped jobs'
complete -c agentctl -n '__fish_seen_subcommand_from list' -l limit -x -d 'Show at most N jobs'
complete -c agentctl -n '__fish_seen_subcommand_from logs' -s f -l follow -d 'Keep printing new lines'
complete -c agentctl -n '__fish_seen_subcommand_from logs' -s n -l tail -x -d 'Last N lines of each instance'
complete -c agentctl -n '__fish_seen_subcommand_from logs' -l since -x -d 'Only lines since a duration or time'
complete -c agentctl -n '__fish_seen_subcommand_from logs' -s t -l timestamps -d 'Show the time of each line'
complete -c agentctl -n '__fish_seen_subcommand_from logs query' -l agent -x -d 'Only this agent'
complete -c agentctl -n '__fish_seen_subcommand_from restart stop' -l force -d 'SIGKILL at once'
complete -c agentctl -n '__fish_seen_subcommand_from restart stop query' -l timeout -x -d 'Timeout'
complete -c agentctl -n '__fish_seen_subcommand_from restart stop' -l lock-wait -x -d 'Wait for the job lock'
complete -c agentctl -n '__fish_seen_subcommand_from restart stop' -l progress -x -a 'auto console plain json' -d 'Progress style'
complete -c agentctl -n '__fish_seen_subcommand_from query' -l session -x -d 'Session id'
complete -c agentctl -n '__fish_seen_subcommand_from query' -l raw -d 'Print the body as received'
complete -c agentctl -n '__fish_seen_subcommand_from cleanup' -l older-than -x -d 'Only jobs older than'
complete -c agentctl -n '__fish_seen_subcommand_from cleanup' -l status -x -a 'stopped failed all' -d 'Which finished jobs'
complete -c agentctl -n '__fish_seen_subcommand_from cleanup' -l dry-run -d 'Print what would be forgotten'
complete -c agentctl -n '__fish_seen_subcommand_from cleanup' -l no-logs -d 'Keep the log files'

# monitor JOB, events [JOB], deploy --monitor
complete -c agentctl -n '__fish_seen_subcommand_from monitor events' -a '(__agentctl_jobs)'
complete -c agentctl -n '__fish_seen_subcommand_from monitor deploy start' -l metrics-addr -x -d 'Serve Prometheus metrics (HOST:PORT)'
complete -c agentctl -n '__fish_seen_subcommand_from monitor' -l progress -x -a 'auto console plain json' -d 'Line style'
complete -c agentctl -n '__fish_seen_subcommand_from monitor' -l lock-wait -x -d 'How long a restart waits for the job lock'
complete -c agentctl -n '__fish_seen_subcommand_from deploy start' -l monitor -d 'Stay in the foreground monitoring the job'
complete -c agentctl -n '__fish_seen_subcommand_from events' -s f -l follow -d 'Keep printing new events'
complete -c agentctl -n '__fish_seen_subcommand_from events' -l since -x -d 'Only events since a duration or time'

# help VERB
complete -c agentctl -n '__fish_seen_subcommand_from help' -a "$agentctl_verbs"
