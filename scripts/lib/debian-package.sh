# Sourced by the prereqs.d steps: installs one Debian package, never starting the service it ships.
#   debian_package <package>   installs it as root; otherwise says how and ends the step (exit 0),
#   which leaves the tests that need it skipped, or failed under CI=true.

debian_package() {
  local package=$1
  if [ "$(id -u)" -ne 0 ]; then
    echo "$package is missing; install it with 'sudo apt-get install -y $package' (Debian/Ubuntu)" >&2
    echo "or your system's package manager, then run 'make prereqs' again." >&2
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the package's post-install script from starting a system-wide server.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "$package"
  if [ "$created_policy" -eq 1 ]; then
    rm -f "$policy"
  fi
}
