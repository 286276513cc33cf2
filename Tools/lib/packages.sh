# shellcheck shell=bash
# Debian packages that building, testing and the lab need; installed only when missing.

DUPLEX_PACKAGES=(
    libnl-3-dev libnl-route-3-dev pkg-config   # CNetlink (libnl-route-3.0)
    iproute2 nftables                          # lab namespaces, veths, bridge; fault injection
    iputils-ping iputils-arping                # reachability checks, gratuitous ARP
    python3                                    # benchmark statistics
)

# Installs the packages of DUPLEX_PACKAGES that dpkg does not list as installed;
# runs apt-get update only when something is missing.
duplex_install_packages() {
    local missing=() package
    for package in "${DUPLEX_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    ((${#missing[@]})) || return 0
    if [[ $(id -u) != 0 ]]; then
        echo "packages missing: ${missing[*]} (run as root to install them)" >&2
        return 1
    fi
    echo "installing: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
