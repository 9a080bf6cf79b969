# Process helpers shared by the netns test scripts that keep their own PID bookkeeping: sourced, not run.

alive() {  # a zombie counts as gone
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  case ${s%% *} in Z | X | x) return 1 ;; esac
  return 0
}
end_pid() {  # end_pid PID: TERM, up to 3 s, then KILL; reaps it when it is our child
  local p=$1 i
  alive "$p" || { wait "$p" 2>/dev/null; return 0; }
  kill -TERM "$p" 2>/dev/null
  for ((i = 0; i < 60; i++)); do alive "$p" || break; sleep 0.05; done
  if alive "$p"; then kill -KILL "$p" 2>/dev/null; fi
  for ((i = 0; i < 40; i++)); do alive "$p" || break; sleep 0.05; done
  wait "$p" 2>/dev/null
  return 0
}
