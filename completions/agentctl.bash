# bash completion for agentctl(1).
# Install: copy to /usr/share/bash-completion/completions/agentctl, or `source` it.

# Appends each line a command prints to COMPREPLY (names with spaces stay whole).
_agentctl_add() {
    local line
    while IFS= read -r line; do
        [[ -n "$line" ]] && COMPREPLY+=("$line")
    done < <("$@")
}

_agentctl_formats() {
    # plan alone also prints Graphviz, status (and deploy, which prints it) a wide table;
    # before the verb is known every format is offered.
    case "$1" in
        "") echo "table json yaml dot wide" ;;
        plan) echo "table json yaml dot" ;;
        status | deploy | start) echo "table json yaml wide" ;;
        *) echo "table json yaml" ;;
    esac
}

# Job files are YAML: offer *.yaml, *.yml and directories to descend into.
_agentctl_job_files() {
    compopt -o filenames 2>/dev/null
    _agentctl_add compgen -d -- "$1"
    _agentctl_add compgen -f -X '!*.yaml' -- "$1"
    _agentctl_add compgen -f -X '!*.yml' -- "$1"
}

# Names of recorded jobs, from `agentctl list --all` against the --state-dir typed so far.
_agentctl_jobs() {
    local state=() i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        [[ "${COMP_WORDS[i]}" == --state-dir ]] && state=(--state-dir "${COMP_WORDS[i + 1]}")
    done
    "${COMP_WORDS[0]}" "${state[@]}" list --all --no-color 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_agentctl() {
    local cur prev verb word i
    COMPREPLY=()
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD - 1]}"

    local verbs="validate plan deploy start status inspect list logs restart stop query cleanup monitor events version help"
    local global_opts="--state-dir -o --output --format --no-color -q --quiet -v --verbose
        --known-hosts --ssh-config --accept-new-host-keys --parallel -h --help --version"

    # The verb is the first word that is neither an option nor an option's value.
    verb=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${COMP_WORDS[i]}"
        case "$word" in
            --state-dir | -o | --output | --format | --known-hosts | --ssh-config | --parallel) ((i++)) ;;
            -*) ;;
            *)
                verb="$word"
                break
                ;;
        esac
    done

    # `--output=json`: bash splits at '=', so the option is two words back.
    if [[ "$prev" == "=" ]] && ((COMP_CWORD >= 2)); then
        prev="${COMP_WORDS[COMP_CWORD - 2]}"
    elif [[ "$cur" == "=" ]]; then
        cur=""
    fi

    case "$prev" in
        -o | --output | --format)
            _agentctl_add compgen -W "$(_agentctl_formats "$verb")" -- "$cur"
            return 0
            ;;
        --state-dir)
            compopt -o filenames 2>/dev/null
            _agentctl_add compgen -d -- "$cur"
            return 0
            ;;
        --known-hosts | --ssh-config)
            compopt -o filenames 2>/dev/null
            _agentctl_add compgen -f -- "$cur"
            return 0
            ;;
        --parallel)
            return 0
            ;;
        --on-failure)
            _agentctl_add compgen -W "rollback keep" -- "$cur"
            return 0
            ;;
        --progress)
            _agentctl_add compgen -W "auto console plain json" -- "$cur"
            return 0
            ;;
        --status)
            [[ "$verb" == cleanup ]] && _agentctl_add compgen -W "stopped failed all" -- "$cur"
            return 0
            ;;
        --name | --timeout | --lock-wait | --limit | --tail | -n | --since | --session | --older-than | --metrics-addr)
            return 0
            ;;
        --agent)
            return 0
            ;;
    esac

    if [[ -z "$verb" ]]; then
        if [[ "$cur" == -* ]]; then
            _agentctl_add compgen -W "$global_opts" -- "$cur"
        else
            _agentctl_add compgen -W "$verbs" -- "$cur"
        fi
        return 0
    fi

    case "$verb" in
        validate)
            if [[ "$cur" == -* ]]; then
                _agentctl_add compgen -W "--strict $global_opts" -- "$cur"
            else
                _agentctl_job_files "$cur"
            fi
            ;;
        plan)
            if [[ "$cur" == -* ]]; then
                _agentctl_add compgen -W "$global_opts" -- "$cur"
            else
                _agentctl_job_files "$cur"
            fi
            ;;
        deploy | start)
            if [[ "$cur" == -* ]]; then
                _agentctl_add compgen -W "--name --timeout --on-failure --force-recreate --dry-run --lock-wait
                    --progress --force --skip-preflight --monitor --metrics-addr $global_opts" -- "$cur"
            else
                _agentctl_job_files "$cur"
            fi
            ;;
        status | inspect | logs | restart | stop | query | cleanup | monitor | events)
            local flags=""
            case "$verb" in
                status) flags="--check" ;;
                logs) flags="-f --follow -n --tail --since -t --timestamps --agent" ;;
                restart | stop) flags="--force --timeout --lock-wait --progress" ;;
                query) flags="--agent --session --timeout --raw" ;;
                cleanup) flags="--older-than --status --dry-run --no-logs" ;;
                monitor) flags="--metrics-addr --progress --lock-wait" ;;
                events) flags="-f --follow --since" ;;
            esac
            if [[ "$cur" == -* ]]; then
                _agentctl_add compgen -W "$flags $global_opts" -- "$cur"
            else
                # The first argument is the job; later ones (agents, the query text) are free.
                local args=0 j
                for ((j = i + 1; j < COMP_CWORD; j++)); do
                    case "${COMP_WORDS[j]}" in
                        --state-dir | -o | --output | --format | --known-hosts | --ssh-config | --parallel | --timeout | --lock-wait | \
                            --progress | --tail | -n | --since | --agent | --session | --older-than | --status | \
                            --metrics-addr) ((j++)) ;;
                        -*) ;;
                        *) ((args++)) ;;
                    esac
                done
                ((args == 0)) && _agentctl_add compgen -W "$(_agentctl_jobs)" -- "$cur"
            fi
            ;;
        list)
            if [[ "$cur" == -* ]]; then
                _agentctl_add compgen -W "-a --all --limit $global_opts" -- "$cur"
            fi
            ;;
        help)
            _agentctl_add compgen -W "$verbs" -- "$cur"
            ;;
        *)
            if [[ "$cur" == -* ]]; then
                _agentctl_add compgen -W "$global_opts" -- "$cur"
            fi
            ;;
    esac
    return 0
}

complete -F _agentctl agentctl
