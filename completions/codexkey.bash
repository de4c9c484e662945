_codexkey() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="codexkey"
                ;;
            codexkey,account)
                cmd="codexkey__subcmd__account"
                ;;
            codexkey,admin)
                cmd="codexkey__subcmd__admin"
                ;;
            codexkey,balance)
                cmd="codexkey__subcmd__balance"
                ;;
            codexkey,completions)
                cmd="codexkey__subcmd__completions"
                ;;
            codexkey,doctor)
                cmd="codexkey__subcmd__doctor"
                ;;
            codexkey,env)
                cmd="codexkey__subcmd__env"
                ;;
            codexkey,gateway)
                cmd="codexkey__subcmd__gateway"
                ;;
            codexkey,help)
                cmd="codexkey__subcmd__help"
                ;;
            codexkey,keys)
                cmd="codexkey__subcmd__keys"
                ;;
            codexkey,ledger)
                cmd="codexkey__subcmd__ledger"
                ;;
            codexkey,login)
                cmd="codexkey__subcmd__login"
                ;;
            codexkey,logout)
                cmd="codexkey__subcmd__logout"
                ;;
            codexkey,orders)
                cmd="codexkey__subcmd__orders"
                ;;
            codexkey,pricing)
                cmd="codexkey__subcmd__pricing"
                ;;
            codexkey,proxy)
                cmd="codexkey__subcmd__proxy"
                ;;
            codexkey,referral)
                cmd="codexkey__subcmd__referral"
                ;;
            codexkey,refund)
                cmd="codexkey__subcmd__refund"
                ;;
            codexkey,refunds)
                cmd="codexkey__subcmd__refunds"
                ;;
            codexkey,register)
                cmd="codexkey__subcmd__register"
                ;;
            codexkey,reset-password)
                cmd="codexkey__subcmd__reset__subcmd__password"
                ;;
            codexkey,run)
                cmd="codexkey__subcmd__run"
                ;;
            codexkey,setup)
                cmd="codexkey__subcmd__setup"
                ;;
            codexkey,topup)
                cmd="codexkey__subcmd__topup"
                ;;
            codexkey,usage)
                cmd="codexkey__subcmd__usage"
                ;;
            codexkey,verify-email)
                cmd="codexkey__subcmd__verify__subcmd__email"
                ;;
            codexkey,whoami)
                cmd="codexkey__subcmd__whoami"
                ;;
            codexkey__subcmd__account,2fa)
                cmd="codexkey__subcmd__account__subcmd__2fa"
                ;;
            codexkey__subcmd__account,delete)
                cmd="codexkey__subcmd__account__subcmd__delete"
                ;;
            codexkey__subcmd__account,export)
                cmd="codexkey__subcmd__account__subcmd__export"
                ;;
            codexkey__subcmd__account,help)
                cmd="codexkey__subcmd__account__subcmd__help"
                ;;
            codexkey__subcmd__account,password)
                cmd="codexkey__subcmd__account__subcmd__password"
                ;;
            codexkey__subcmd__account,resend-verification)
                cmd="codexkey__subcmd__account__subcmd__resend__subcmd__verification"
                ;;
            codexkey__subcmd__account,sessions)
                cmd="codexkey__subcmd__account__subcmd__sessions"
                ;;
            codexkey__subcmd__account,set)
                cmd="codexkey__subcmd__account__subcmd__set"
                ;;
            codexkey__subcmd__account__subcmd__2fa,confirm)
                cmd="codexkey__subcmd__account__subcmd__2fa__subcmd__confirm"
                ;;
            codexkey__subcmd__account__subcmd__2fa,disable)
                cmd="codexkey__subcmd__account__subcmd__2fa__subcmd__disable"
                ;;
            codexkey__subcmd__account__subcmd__2fa,enable)
                cmd="codexkey__subcmd__account__subcmd__2fa__subcmd__enable"
                ;;
            codexkey__subcmd__account__subcmd__2fa,help)
                cmd="codexkey__subcmd__account__subcmd__2fa__subcmd__help"
                ;;
            codexkey__subcmd__account__subcmd__2fa__subcmd__help,confirm)
                cmd="codexkey__subcmd__account__subcmd__2fa__subcmd__help__subcmd__confirm"
                ;;
            codexkey__subcmd__account__subcmd__2fa__subcmd__help,disable)
                cmd="codexkey__subcmd__account__subcmd__2fa__subcmd__help__subcmd__disable"
                ;;
            codexkey__subcmd__account__subcmd__2fa__subcmd__help,enable)
                cmd="codexkey__subcmd__account__subcmd__2fa__subcmd__help__subcmd__enable"
                ;;
            codexkey__subcmd__account__subcmd__2fa__subcmd__help,help)
                cmd="codexkey__subcmd__account__subcmd__2fa__subcmd__help__subcmd__help"
                ;;
            codexkey__subcmd__account__subcmd__help,2fa)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__2fa"
                ;;
            codexkey__subcmd__account__subcmd__help,delete)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__delete"
                ;;
            codexkey__subcmd__account__subcmd__help,export)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__export"
                ;;
            codexkey__subcmd__account__subcmd__help,help)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__help"
                ;;
            codexkey__subcmd__account__subcmd__help,password)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__password"
                ;;
            codexkey__subcmd__account__subcmd__help,resend-verification)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__resend__subcmd__verification"
                ;;
            codexkey__subcmd__account__subcmd__help,sessions)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__sessions"
                ;;
            codexkey__subcmd__account__subcmd__help,set)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__set"
                ;;
            codexkey__subcmd__account__subcmd__help__subcmd__2fa,confirm)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__2fa__subcmd__confirm"
                ;;
            codexkey__subcmd__account__subcmd__help__subcmd__2fa,disable)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__2fa__subcmd__disable"
                ;;
            codexkey__subcmd__account__subcmd__help__subcmd__2fa,enable)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__2fa__subcmd__enable"
                ;;
            codexkey__subcmd__account__subcmd__help__subcmd__sessions,list)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__sessions__subcmd__list"
                ;;
            codexkey__subcmd__account__subcmd__help__subcmd__sessions,revoke)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__sessions__subcmd__revoke"
                ;;
            codexkey__subcmd__account__subcmd__help__subcmd__sessions,revoke-others)
                cmd="codexkey__subcmd__account__subcmd__help__subcmd__sessions__subcmd__revoke__subcmd__others"
                ;;
            codexkey__subcmd__account__subcmd__sessions,help)
                cmd="codexkey__subcmd__account__subcmd__sessions__subcmd__help"
                ;;
            codexkey__subcmd__account__subcmd__sessions,list)
                cmd="codexkey__subcmd__account__subcmd__sessions__subcmd__list"
                ;;
            codexkey__subcmd__account__subcmd__sessions,revoke)
                cmd="codexkey__subcmd__account__subcmd__sessions__subcmd__revoke"
                ;;
            codexkey__subcmd__account__subcmd__sessions,revoke-others)
                cmd="codexkey__subcmd__account__subcmd__sessions__subcmd__revoke__subcmd__others"
                ;;
            codexkey__subcmd__account__subcmd__sessions__subcmd__help,help)
                cmd="codexkey__subcmd__account__subcmd__sessions__subcmd__help__subcmd__help"
                ;;
            codexkey__subcmd__account__subcmd__sessions__subcmd__help,list)
                cmd="codexkey__subcmd__account__subcmd__sessions__subcmd__help__subcmd__list"
                ;;
            codexkey__subcmd__account__subcmd__sessions__subcmd__help,revoke)
                cmd="codexkey__subcmd__account__subcmd__sessions__subcmd__help__subcmd__revoke"
                ;;
            codexkey__subcmd__account__subcmd__sessions__subcmd__help,revoke-others)
                cmd="codexkey__subcmd__account__subcmd__sessions__subcmd__help__subcmd__revoke__subcmd__others"
                ;;
            codexkey__subcmd__admin,activate)
                cmd="codexkey__subcmd__admin__subcmd__activate"
                ;;
            codexkey__subcmd__admin,adjust)
                cmd="codexkey__subcmd__admin__subcmd__adjust"
                ;;
            codexkey__subcmd__admin,audit)
                cmd="codexkey__subcmd__admin__subcmd__audit"
                ;;
            codexkey__subcmd__admin,backup)
                cmd="codexkey__subcmd__admin__subcmd__backup"
                ;;
            codexkey__subcmd__admin,bonus)
                cmd="codexkey__subcmd__admin__subcmd__bonus"
                ;;
            codexkey__subcmd__admin,codes)
                cmd="codexkey__subcmd__admin__subcmd__codes"
                ;;
            codexkey__subcmd__admin,help)
                cmd="codexkey__subcmd__admin__subcmd__help"
                ;;
            codexkey__subcmd__admin,invite)
                cmd="codexkey__subcmd__admin__subcmd__invite"
                ;;
            codexkey__subcmd__admin,migrate)
                cmd="codexkey__subcmd__admin__subcmd__migrate"
                ;;
            codexkey__subcmd__admin,orders)
                cmd="codexkey__subcmd__admin__subcmd__orders"
                ;;
            codexkey__subcmd__admin,prices)
                cmd="codexkey__subcmd__admin__subcmd__prices"
                ;;
            codexkey__subcmd__admin,purge)
                cmd="codexkey__subcmd__admin__subcmd__purge"
                ;;
            codexkey__subcmd__admin,refunds)
                cmd="codexkey__subcmd__admin__subcmd__refunds"
                ;;
            codexkey__subcmd__admin,reset-password)
                cmd="codexkey__subcmd__admin__subcmd__reset__subcmd__password"
                ;;
            codexkey__subcmd__admin,suspend)
                cmd="codexkey__subcmd__admin__subcmd__suspend"
                ;;
            codexkey__subcmd__admin,upstreams)
                cmd="codexkey__subcmd__admin__subcmd__upstreams"
                ;;
            codexkey__subcmd__admin,users)
                cmd="codexkey__subcmd__admin__subcmd__users"
                ;;
            codexkey__subcmd__admin,verify-ledger)
                cmd="codexkey__subcmd__admin__subcmd__verify__subcmd__ledger"
                ;;
            codexkey__subcmd__admin__subcmd__codes,create)
                cmd="codexkey__subcmd__admin__subcmd__codes__subcmd__create"
                ;;
            codexkey__subcmd__admin__subcmd__codes,disable)
                cmd="codexkey__subcmd__admin__subcmd__codes__subcmd__disable"
                ;;
            codexkey__subcmd__admin__subcmd__codes,export)
                cmd="codexkey__subcmd__admin__subcmd__codes__subcmd__export"
                ;;
            codexkey__subcmd__admin__subcmd__codes,help)
                cmd="codexkey__subcmd__admin__subcmd__codes__subcmd__help"
                ;;
            codexkey__subcmd__admin__subcmd__codes,list)
                cmd="codexkey__subcmd__admin__subcmd__codes__subcmd__list"
                ;;
            codexkey__subcmd__admin__subcmd__codes,show)
                cmd="codexkey__subcmd__admin__subcmd__codes__subcmd__show"
                ;;
            codexkey__subcmd__admin__subcmd__codes__subcmd__help,create)
                cmd="codexkey__subcmd__admin__subcmd__codes__subcmd__help__subcmd__create"
                ;;
            codexkey__subcmd__admin__subcmd__codes__subcmd__help,disable)
                cmd="codexkey__subcmd__admin__subcmd__codes__subcmd__help__subcmd__disable"
                ;;
            codexkey__subcmd__admin__subcmd__codes__subcmd__help,export)
                cmd="codexkey__subcmd__admin__subcmd__codes__subcmd__help__subcmd__export"
                ;;
            codexkey__subcmd__admin__subcmd__codes__subcmd__help,help)
                cmd="codexkey__subcmd__admin__subcmd__codes__subcmd__help__subcmd__help"
                ;;
            codexkey__subcmd__admin__subcmd__codes__subcmd__help,list)
                cmd="codexkey__subcmd__admin__subcmd__codes__subcmd__help__subcmd__list"
                ;;
            codexkey__subcmd__admin__subcmd__codes__subcmd__help,show)
                cmd="codexkey__subcmd__admin__subcmd__codes__subcmd__help__subcmd__show"
                ;;
            codexkey__subcmd__admin__subcmd__help,activate)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__activate"
                ;;
            codexkey__subcmd__admin__subcmd__help,adjust)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__adjust"
                ;;
            codexkey__subcmd__admin__subcmd__help,audit)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__audit"
                ;;
            codexkey__subcmd__admin__subcmd__help,backup)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__backup"
                ;;
            codexkey__subcmd__admin__subcmd__help,bonus)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__bonus"
                ;;
            codexkey__subcmd__admin__subcmd__help,codes)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__codes"
                ;;
            codexkey__subcmd__admin__subcmd__help,help)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__help"
                ;;
            codexkey__subcmd__admin__subcmd__help,invite)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__invite"
                ;;
            codexkey__subcmd__admin__subcmd__help,migrate)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__migrate"
                ;;
            codexkey__subcmd__admin__subcmd__help,orders)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__orders"
                ;;
            codexkey__subcmd__admin__subcmd__help,prices)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__prices"
                ;;
            codexkey__subcmd__admin__subcmd__help,purge)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__purge"
                ;;
            codexkey__subcmd__admin__subcmd__help,refunds)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__refunds"
                ;;
            codexkey__subcmd__admin__subcmd__help,reset-password)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__reset__subcmd__password"
                ;;
            codexkey__subcmd__admin__subcmd__help,suspend)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__suspend"
                ;;
            codexkey__subcmd__admin__subcmd__help,upstreams)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__upstreams"
                ;;
            codexkey__subcmd__admin__subcmd__help,users)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__users"
                ;;
            codexkey__subcmd__admin__subcmd__help,verify-ledger)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__verify__subcmd__ledger"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__codes,create)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__codes__subcmd__create"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__codes,disable)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__codes__subcmd__disable"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__codes,export)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__codes__subcmd__export"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__codes,list)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__codes__subcmd__list"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__codes,show)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__codes__subcmd__show"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__prices,coefficient)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__prices__subcmd__coefficient"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__prices,import)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__prices__subcmd__import"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__prices,reset)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__prices__subcmd__reset"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__prices,set)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__prices__subcmd__set"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__refunds,approve)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__refunds__subcmd__approve"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__refunds,deny)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__refunds__subcmd__deny"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__refunds,list)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__refunds__subcmd__list"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__upstreams,add)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__upstreams__subcmd__add"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__upstreams,add-key)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__upstreams__subcmd__add__subcmd__key"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__upstreams,list)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__upstreams__subcmd__list"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__upstreams,remove)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__upstreams__subcmd__remove"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__users,create)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__users__subcmd__create"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__users,delete)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__users__subcmd__delete"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__users,list)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__users__subcmd__list"
                ;;
            codexkey__subcmd__admin__subcmd__help__subcmd__users,reset-2fa)
                cmd="codexkey__subcmd__admin__subcmd__help__subcmd__users__subcmd__reset__subcmd__2fa"
                ;;
            codexkey__subcmd__admin__subcmd__prices,coefficient)
                cmd="codexkey__subcmd__admin__subcmd__prices__subcmd__coefficient"
                ;;
            codexkey__subcmd__admin__subcmd__prices,help)
                cmd="codexkey__subcmd__admin__subcmd__prices__subcmd__help"
                ;;
            codexkey__subcmd__admin__subcmd__prices,import)
                cmd="codexkey__subcmd__admin__subcmd__prices__subcmd__import"
                ;;
            codexkey__subcmd__admin__subcmd__prices,reset)
                cmd="codexkey__subcmd__admin__subcmd__prices__subcmd__reset"
                ;;
            codexkey__subcmd__admin__subcmd__prices,set)
                cmd="codexkey__subcmd__admin__subcmd__prices__subcmd__set"
                ;;
            codexkey__subcmd__admin__subcmd__prices__subcmd__help,coefficient)
                cmd="codexkey__subcmd__admin__subcmd__prices__subcmd__help__subcmd__coefficient"
                ;;
            codexkey__subcmd__admin__subcmd__prices__subcmd__help,help)
                cmd="codexkey__subcmd__admin__subcmd__prices__subcmd__help__subcmd__help"
                ;;
            codexkey__subcmd__admin__subcmd__prices__subcmd__help,import)
                cmd="codexkey__subcmd__admin__subcmd__prices__subcmd__help__subcmd__import"
                ;;
            codexkey__subcmd__admin__subcmd__prices__subcmd__help,reset)
                cmd="codexkey__subcmd__admin__subcmd__prices__subcmd__help__subcmd__reset"
                ;;
            codexkey__subcmd__admin__subcmd__prices__subcmd__help,set)
                cmd="codexkey__subcmd__admin__subcmd__prices__subcmd__help__subcmd__set"
                ;;
            codexkey__subcmd__admin__subcmd__refunds,approve)
                cmd="codexkey__subcmd__admin__subcmd__refunds__subcmd__approve"
                ;;
            codexkey__subcmd__admin__subcmd__refunds,deny)
                cmd="codexkey__subcmd__admin__subcmd__refunds__subcmd__deny"
                ;;
            codexkey__subcmd__admin__subcmd__refunds,help)
                cmd="codexkey__subcmd__admin__subcmd__refunds__subcmd__help"
                ;;
            codexkey__subcmd__admin__subcmd__refunds,list)
                cmd="codexkey__subcmd__admin__subcmd__refunds__subcmd__list"
                ;;
            codexkey__subcmd__admin__subcmd__refunds__subcmd__help,approve)
                cmd="codexkey__subcmd__admin__subcmd__refunds__subcmd__help__subcmd__approve"
                ;;
            codexkey__subcmd__admin__subcmd__refunds__subcmd__help,deny)
                cmd="codexkey__subcmd__admin__subcmd__refunds__subcmd__help__subcmd__deny"
                ;;
            codexkey__subcmd__admin__subcmd__refunds__subcmd__help,help)
                cmd="codexkey__subcmd__admin__subcmd__refunds__subcmd__help__subcmd__help"
                ;;
            codexkey__subcmd__admin__subcmd__refunds__subcmd__help,list)
                cmd="codexkey__subcmd__admin__subcmd__refunds__subcmd__help__subcmd__list"
                ;;
            codexkey__subcmd__admin__subcmd__upstreams,add)
                cmd="codexkey__subcmd__admin__subcmd__upstreams__subcmd__add"
                ;;
            codexkey__subcmd__admin__subcmd__upstreams,add-key)
                cmd="codexkey__subcmd__admin__subcmd__upstreams__subcmd__add__subcmd__key"
                ;;
            codexkey__subcmd__admin__subcmd__upstreams,help)
                cmd="codexkey__subcmd__admin__subcmd__upstreams__subcmd__help"
                ;;
            codexkey__subcmd__admin__subcmd__upstreams,list)
                cmd="codexkey__subcmd__admin__subcmd__upstreams__subcmd__list"
                ;;
            codexkey__subcmd__admin__subcmd__upstreams,remove)
                cmd="codexkey__subcmd__admin__subcmd__upstreams__subcmd__remove"
                ;;
            codexkey__subcmd__admin__subcmd__upstreams__subcmd__help,add)
                cmd="codexkey__subcmd__admin__subcmd__upstreams__subcmd__help__subcmd__add"
                ;;
            codexkey__subcmd__admin__subcmd__upstreams__subcmd__help,add-key)
                cmd="codexkey__subcmd__admin__subcmd__upstreams__subcmd__help__subcmd__add__subcmd__key"
                ;;
            codexkey__subcmd__admin__subcmd__upstreams__subcmd__help,help)
                cmd="codexkey__subcmd__admin__subcmd__upstreams__subcmd__help__subcmd__help"
                ;;
            codexkey__subcmd__admin__subcmd__upstreams__subcmd__help,list)
                cmd="codexkey__subcmd__admin__subcmd__upstreams__subcmd__help__subcmd__list"
                ;;
            codexkey__subcmd__admin__subcmd__upstreams__subcmd__help,remove)
                cmd="codexkey__subcmd__admin__subcmd__upstreams__subcmd__help__subcmd__remove"
                ;;
            codexkey__subcmd__admin__subcmd__users,create)
                cmd="codexkey__subcmd__admin__subcmd__users__subcmd__create"
                ;;
            codexkey__subcmd__admin__subcmd__users,delete)
                cmd="codexkey__subcmd__admin__subcmd__users__subcmd__delete"
                ;;
            codexkey__subcmd__admin__subcmd__users,help)
                cmd="codexkey__subcmd__admin__subcmd__users__subcmd__help"
                ;;
            codexkey__subcmd__admin__subcmd__users,list)
                cmd="codexkey__subcmd__admin__subcmd__users__subcmd__list"
                ;;
            codexkey__subcmd__admin__subcmd__users,reset-2fa)
                cmd="codexkey__subcmd__admin__subcmd__users__subcmd__reset__subcmd__2fa"
                ;;
            codexkey__subcmd__admin__subcmd__users__subcmd__help,create)
                cmd="codexkey__subcmd__admin__subcmd__users__subcmd__help__subcmd__create"
                ;;
            codexkey__subcmd__admin__subcmd__users__subcmd__help,delete)
                cmd="codexkey__subcmd__admin__subcmd__users__subcmd__help__subcmd__delete"
                ;;
            codexkey__subcmd__admin__subcmd__users__subcmd__help,help)
                cmd="codexkey__subcmd__admin__subcmd__users__subcmd__help__subcmd__help"
                ;;
            codexkey__subcmd__admin__subcmd__users__subcmd__help,list)
                cmd="codexkey__subcmd__admin__subcmd__users__subcmd__help__subcmd__list"
                ;;
            codexkey__subcmd__admin__subcmd__users__subcmd__help,reset-2fa)
                cmd="codexkey__subcmd__admin__subcmd__users__subcmd__help__subcmd__reset__subcmd__2fa"
                ;;
            codexkey__subcmd__help,account)
                cmd="codexkey__subcmd__help__subcmd__account"
                ;;
            codexkey__subcmd__help,admin)
                cmd="codexkey__subcmd__help__subcmd__admin"
                ;;
            codexkey__subcmd__help,balance)
                cmd="codexkey__subcmd__help__subcmd__balance"
                ;;
            codexkey__subcmd__help,completions)
                cmd="codexkey__subcmd__help__subcmd__completions"
                ;;
            codexkey__subcmd__help,doctor)
                cmd="codexkey__subcmd__help__subcmd__doctor"
                ;;
            codexkey__subcmd__help,env)
                cmd="codexkey__subcmd__help__subcmd__env"
                ;;
            codexkey__subcmd__help,gateway)
                cmd="codexkey__subcmd__help__subcmd__gateway"
                ;;
            codexkey__subcmd__help,help)
                cmd="codexkey__subcmd__help__subcmd__help"
                ;;
            codexkey__subcmd__help,keys)
                cmd="codexkey__subcmd__help__subcmd__keys"
                ;;
            codexkey__subcmd__help,ledger)
                cmd="codexkey__subcmd__help__subcmd__ledger"
                ;;
            codexkey__subcmd__help,login)
                cmd="codexkey__subcmd__help__subcmd__login"
                ;;
            codexkey__subcmd__help,logout)
                cmd="codexkey__subcmd__help__subcmd__logout"
                ;;
            codexkey__subcmd__help,orders)
                cmd="codexkey__subcmd__help__subcmd__orders"
                ;;
            codexkey__subcmd__help,pricing)
                cmd="codexkey__subcmd__help__subcmd__pricing"
                ;;
            codexkey__subcmd__help,proxy)
                cmd="codexkey__subcmd__help__subcmd__proxy"
                ;;
            codexkey__subcmd__help,referral)
                cmd="codexkey__subcmd__help__subcmd__referral"
                ;;
            codexkey__subcmd__help,refund)
                cmd="codexkey__subcmd__help__subcmd__refund"
                ;;
            codexkey__subcmd__help,refunds)
                cmd="codexkey__subcmd__help__subcmd__refunds"
                ;;
            codexkey__subcmd__help,register)
                cmd="codexkey__subcmd__help__subcmd__register"
                ;;
            codexkey__subcmd__help,reset-password)
                cmd="codexkey__subcmd__help__subcmd__reset__subcmd__password"
                ;;
            codexkey__subcmd__help,run)
                cmd="codexkey__subcmd__help__subcmd__run"
                ;;
            codexkey__subcmd__help,setup)
                cmd="codexkey__subcmd__help__subcmd__setup"
                ;;
            codexkey__subcmd__help,topup)
                cmd="codexkey__subcmd__help__subcmd__topup"
                ;;
            codexkey__subcmd__help,usage)
                cmd="codexkey__subcmd__help__subcmd__usage"
                ;;
            codexkey__subcmd__help,verify-email)
                cmd="codexkey__subcmd__help__subcmd__verify__subcmd__email"
                ;;
            codexkey__subcmd__help,whoami)
                cmd="codexkey__subcmd__help__subcmd__whoami"
                ;;
            codexkey__subcmd__help__subcmd__account,2fa)
                cmd="codexkey__subcmd__help__subcmd__account__subcmd__2fa"
                ;;
            codexkey__subcmd__help__subcmd__account,delete)
                cmd="codexkey__subcmd__help__subcmd__account__subcmd__delete"
                ;;
            codexkey__subcmd__help__subcmd__account,export)
                cmd="codexkey__subcmd__help__subcmd__account__subcmd__export"
                ;;
            codexkey__subcmd__help__subcmd__account,password)
                cmd="codexkey__subcmd__help__subcmd__account__subcmd__password"
                ;;
            codexkey__subcmd__help__subcmd__account,resend-verification)
                cmd="codexkey__subcmd__help__subcmd__account__subcmd__resend__subcmd__verification"
                ;;
            codexkey__subcmd__help__subcmd__account,sessions)
                cmd="codexkey__subcmd__help__subcmd__account__subcmd__sessions"
                ;;
            codexkey__subcmd__help__subcmd__account,set)
                cmd="codexkey__subcmd__help__subcmd__account__subcmd__set"
                ;;
            codexkey__subcmd__help__subcmd__account__subcmd__2fa,confirm)
                cmd="codexkey__subcmd__help__subcmd__account__subcmd__2fa__subcmd__confirm"
                ;;
            codexkey__subcmd__help__subcmd__account__subcmd__2fa,disable)
                cmd="codexkey__subcmd__help__subcmd__account__subcmd__2fa__subcmd__disable"
                ;;
            codexkey__subcmd__help__subcmd__account__subcmd__2fa,enable)
                cmd="codexkey__subcmd__help__subcmd__account__subcmd__2fa__subcmd__enable"
                ;;
            codexkey__subcmd__help__subcmd__account__subcmd__sessions,list)
                cmd="codexkey__subcmd__help__subcmd__account__subcmd__sessions__subcmd__list"
                ;;
            codexkey__subcmd__help__subcmd__account__subcmd__sessions,revoke)
                cmd="codexkey__subcmd__help__subcmd__account__subcmd__sessions__subcmd__revoke"
                ;;
            codexkey__subcmd__help__subcmd__account__subcmd__sessions,revoke-others)
                cmd="codexkey__subcmd__help__subcmd__account__subcmd__sessions__subcmd__revoke__subcmd__others"
                ;;
            codexkey__subcmd__help__subcmd__admin,activate)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__activate"
                ;;
            codexkey__subcmd__help__subcmd__admin,adjust)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__adjust"
                ;;
            codexkey__subcmd__help__subcmd__admin,audit)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__audit"
                ;;
            codexkey__subcmd__help__subcmd__admin,backup)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__backup"
                ;;
            codexkey__subcmd__help__subcmd__admin,bonus)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__bonus"
                ;;
            codexkey__subcmd__help__subcmd__admin,codes)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__codes"
                ;;
            codexkey__subcmd__help__subcmd__admin,invite)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__invite"
                ;;
            codexkey__subcmd__help__subcmd__admin,migrate)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__migrate"
                ;;
            codexkey__subcmd__help__subcmd__admin,orders)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__orders"
                ;;
            codexkey__subcmd__help__subcmd__admin,prices)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__prices"
                ;;
            codexkey__subcmd__help__subcmd__admin,purge)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__purge"
                ;;
            codexkey__subcmd__help__subcmd__admin,refunds)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__refunds"
                ;;
            codexkey__subcmd__help__subcmd__admin,reset-password)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__reset__subcmd__password"
                ;;
            codexkey__subcmd__help__subcmd__admin,suspend)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__suspend"
                ;;
            codexkey__subcmd__help__subcmd__admin,upstreams)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__upstreams"
                ;;
            codexkey__subcmd__help__subcmd__admin,users)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__users"
                ;;
            codexkey__subcmd__help__subcmd__admin,verify-ledger)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__verify__subcmd__ledger"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__codes,create)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__codes__subcmd__create"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__codes,disable)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__codes__subcmd__disable"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__codes,export)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__codes__subcmd__export"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__codes,list)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__codes__subcmd__list"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__codes,show)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__codes__subcmd__show"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__prices,coefficient)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__prices__subcmd__coefficient"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__prices,import)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__prices__subcmd__import"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__prices,reset)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__prices__subcmd__reset"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__prices,set)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__prices__subcmd__set"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__refunds,approve)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__refunds__subcmd__approve"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__refunds,deny)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__refunds__subcmd__deny"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__refunds,list)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__refunds__subcmd__list"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__upstreams,add)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__upstreams__subcmd__add"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__upstreams,add-key)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__upstreams__subcmd__add__subcmd__key"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__upstreams,list)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__upstreams__subcmd__list"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__upstreams,remove)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__upstreams__subcmd__remove"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__users,create)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__users__subcmd__create"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__users,delete)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__users__subcmd__delete"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__users,list)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__users__subcmd__list"
                ;;
            codexkey__subcmd__help__subcmd__admin__subcmd__users,reset-2fa)
                cmd="codexkey__subcmd__help__subcmd__admin__subcmd__users__subcmd__reset__subcmd__2fa"
                ;;
            codexkey__subcmd__help__subcmd__keys,create)
                cmd="codexkey__subcmd__help__subcmd__keys__subcmd__create"
                ;;
            codexkey__subcmd__help__subcmd__keys,list)
                cmd="codexkey__subcmd__help__subcmd__keys__subcmd__list"
                ;;
            codexkey__subcmd__help__subcmd__keys,revoke)
                cmd="codexkey__subcmd__help__subcmd__keys__subcmd__revoke"
                ;;
            codexkey__subcmd__help__subcmd__keys,rotate)
                cmd="codexkey__subcmd__help__subcmd__keys__subcmd__rotate"
                ;;
            codexkey__subcmd__help__subcmd__keys,update)
                cmd="codexkey__subcmd__help__subcmd__keys__subcmd__update"
                ;;
            codexkey__subcmd__help__subcmd__keys,use)
                cmd="codexkey__subcmd__help__subcmd__keys__subcmd__use"
                ;;
            codexkey__subcmd__help__subcmd__usage,events)
                cmd="codexkey__subcmd__help__subcmd__usage__subcmd__events"
                ;;
            codexkey__subcmd__help__subcmd__usage,sync)
                cmd="codexkey__subcmd__help__subcmd__usage__subcmd__sync"
                ;;
            codexkey__subcmd__keys,create)
                cmd="codexkey__subcmd__keys__subcmd__create"
                ;;
            codexkey__subcmd__keys,help)
                cmd="codexkey__subcmd__keys__subcmd__help"
                ;;
            codexkey__subcmd__keys,list)
                cmd="codexkey__subcmd__keys__subcmd__list"
                ;;
            codexkey__subcmd__keys,revoke)
                cmd="codexkey__subcmd__keys__subcmd__revoke"
                ;;
            codexkey__subcmd__keys,rotate)
                cmd="codexkey__subcmd__keys__subcmd__rotate"
                ;;
            codexkey__subcmd__keys,update)
                cmd="codexkey__subcmd__keys__subcmd__update"
                ;;
            codexkey__subcmd__keys,use)
                cmd="codexkey__subcmd__keys__subcmd__use"
                ;;
            codexkey__subcmd__keys__subcmd__help,create)
                cmd="codexkey__subcmd__keys__subcmd__help__subcmd__create"
                ;;
            codexkey__subcmd__keys__subcmd__help,help)
                cmd="codexkey__subcmd__keys__subcmd__help__subcmd__help"
                ;;
            codexkey__subcmd__keys__subcmd__help,list)
                cmd="codexkey__subcmd__keys__subcmd__help__subcmd__list"
                ;;
            codexkey__subcmd__keys__subcmd__help,revoke)
                cmd="codexkey__subcmd__keys__subcmd__help__subcmd__revoke"
                ;;
            codexkey__subcmd__keys__subcmd__help,rotate)
                cmd="codexkey__subcmd__keys__subcmd__help__subcmd__rotate"
                ;;
            codexkey__subcmd__keys__subcmd__help,update)
                cmd="codexkey__subcmd__keys__subcmd__help__subcmd__update"
                ;;
            codexkey__subcmd__keys__subcmd__help,use)
                cmd="codexkey__subcmd__keys__subcmd__help__subcmd__use"
                ;;
            codexkey__subcmd__usage,events)
                cmd="codexkey__subcmd__usage__subcmd__events"
                ;;
            codexkey__subcmd__usage,help)
                cmd="codexkey__subcmd__usage__subcmd__help"
                ;;
            codexkey__subcmd__usage,sync)
                cmd="codexkey__subcmd__usage__subcmd__sync"
                ;;
            codexkey__subcmd__usage__subcmd__help,events)
                cmd="codexkey__subcmd__usage__subcmd__help__subcmd__events"
                ;;
            codexkey__subcmd__usage__subcmd__help,help)
                cmd="codexkey__subcmd__usage__subcmd__help__subcmd__help"
                ;;
            codexkey__subcmd__usage__subcmd__help,sync)
                cmd="codexkey__subcmd__usage__subcmd__help__subcmd__sync"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        codexkey)
            opts="-h -V --gateway --json --profile --help --version gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account)
            opts="-h -V --gateway --json --profile --help --version 2fa sessions password set delete resend-verification export help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__2fa)
            opts="-h -V --gateway --json --profile --help --version enable confirm disable help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__2fa__subcmd__confirm)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__2fa__subcmd__disable)
            opts="-h -V --password-stdin --code --recovery-code --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --code)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --recovery-code)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__2fa__subcmd__enable)
            opts="-h -V --password-stdin --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__2fa__subcmd__help)
            opts="enable confirm disable help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__2fa__subcmd__help__subcmd__confirm)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__2fa__subcmd__help__subcmd__disable)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__2fa__subcmd__help__subcmd__enable)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__2fa__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__delete)
            opts="-h -V --password-stdin --code --recovery-code --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --code)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --recovery-code)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__export)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help)
            opts="2fa sessions password set delete resend-verification export help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__2fa)
            opts="enable confirm disable"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__2fa__subcmd__confirm)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__2fa__subcmd__disable)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__2fa__subcmd__enable)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__delete)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__export)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__password)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__resend__subcmd__verification)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__sessions)
            opts="list revoke revoke-others"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__sessions__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__sessions__subcmd__revoke)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__sessions__subcmd__revoke__subcmd__others)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__help__subcmd__set)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__password)
            opts="-h -V --stdin --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__resend__subcmd__verification)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__sessions)
            opts="-h -V --gateway --json --profile --help --version list revoke revoke-others help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__sessions__subcmd__help)
            opts="list revoke revoke-others help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__sessions__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__sessions__subcmd__help__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__sessions__subcmd__help__subcmd__revoke)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__sessions__subcmd__help__subcmd__revoke__subcmd__others)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__sessions__subcmd__list)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__sessions__subcmd__revoke)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__sessions__subcmd__revoke__subcmd__others)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__account__subcmd__set)
            opts="-h -V --currency --language --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --currency)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --language)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin)
            opts="-h -V --gateway --json --profile --help --version users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__activate)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__adjust)
            opts="-h -V --reason --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --reason)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__audit)
            opts="-h -V --limit --before --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --limit)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --before)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__backup)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__bonus)
            opts="-h -V --reason --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --reason)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__codes)
            opts="-h -V --gateway --json --profile --help --version create list show disable export help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__codes__subcmd__create)
            opts="-h -V --amount --count --expires --note --promotional --csv --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --amount)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --count)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --expires)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --note)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --csv)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__codes__subcmd__disable)
            opts="-h -V --code --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --code)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__codes__subcmd__export)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__codes__subcmd__help)
            opts="create list show disable export help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__codes__subcmd__help__subcmd__create)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__codes__subcmd__help__subcmd__disable)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__codes__subcmd__help__subcmd__export)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__codes__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__codes__subcmd__help__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__codes__subcmd__help__subcmd__show)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__codes__subcmd__list)
            opts="-h -V --unused --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__codes__subcmd__show)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help)
            opts="users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__activate)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__adjust)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__audit)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__backup)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__bonus)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__codes)
            opts="create list show disable export"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__codes__subcmd__create)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__codes__subcmd__disable)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__codes__subcmd__export)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__codes__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__codes__subcmd__show)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__invite)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__migrate)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__orders)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__prices)
            opts="import set reset coefficient"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__prices__subcmd__coefficient)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__prices__subcmd__import)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__prices__subcmd__reset)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__prices__subcmd__set)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__purge)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__refunds)
            opts="list approve deny"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__refunds__subcmd__approve)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__refunds__subcmd__deny)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__refunds__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__reset__subcmd__password)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__suspend)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__upstreams)
            opts="list add remove add-key"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__upstreams__subcmd__add)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__upstreams__subcmd__add__subcmd__key)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__upstreams__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__upstreams__subcmd__remove)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__users)
            opts="list delete create reset-2fa"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__users__subcmd__create)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__users__subcmd__delete)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__users__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__users__subcmd__reset__subcmd__2fa)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__help__subcmd__verify__subcmd__ledger)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__invite)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__migrate)
            opts="-h -V --from --to --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --from)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --to)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__orders)
            opts="-h -V --state --account --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --state)
                    COMPREPLY=($(compgen -W "pending paid expired failed partly_refunded refunded" -- "${cur}"))
                    return 0
                    ;;
                --account)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__prices)
            opts="-h -V --gateway --json --profile --help --version import set reset coefficient help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__prices__subcmd__coefficient)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__prices__subcmd__help)
            opts="import set reset coefficient help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__prices__subcmd__help__subcmd__coefficient)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__prices__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__prices__subcmd__help__subcmd__import)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__prices__subcmd__help__subcmd__reset)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__prices__subcmd__help__subcmd__set)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__prices__subcmd__import)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__prices__subcmd__reset)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__prices__subcmd__set)
            opts="-h -V --provider --mode --input --output --cached-input --cache-write-5m --cache-write-1h --per-image --per-request --max-input-tokens --max-output-tokens --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --provider)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --mode)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --input)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --output)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --cached-input)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --cache-write-5m)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --cache-write-1h)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --per-image)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --per-request)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-input-tokens)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-output-tokens)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__purge)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__refunds)
            opts="-h -V --gateway --json --profile --help --version list approve deny help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__refunds__subcmd__approve)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__refunds__subcmd__deny)
            opts="-h -V --reason --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --reason)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__refunds__subcmd__help)
            opts="list approve deny help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__refunds__subcmd__help__subcmd__approve)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__refunds__subcmd__help__subcmd__deny)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__refunds__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__refunds__subcmd__help__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__refunds__subcmd__list)
            opts="-h -V --state --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --state)
                    COMPREPLY=($(compgen -W "requested approved succeeded failed denied" -- "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__reset__subcmd__password)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__suspend)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__upstreams)
            opts="-h -V --gateway --json --profile --help --version list add remove add-key help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__upstreams__subcmd__add)
            opts="-h -V --provider --base-url --models --key-stdin --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --provider)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --base-url)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --models)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__upstreams__subcmd__add__subcmd__key)
            opts="-h -V --label --key-stdin --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --label)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__upstreams__subcmd__help)
            opts="list add remove add-key help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__upstreams__subcmd__help__subcmd__add)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__upstreams__subcmd__help__subcmd__add__subcmd__key)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__upstreams__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__upstreams__subcmd__help__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__upstreams__subcmd__help__subcmd__remove)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__upstreams__subcmd__list)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__upstreams__subcmd__remove)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__users)
            opts="-h -V --gateway --json --profile --help --version list delete create reset-2fa help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__users__subcmd__create)
            opts="-h -V --role --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --role)
                    COMPREPLY=($(compgen -W "user admin" -- "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__users__subcmd__delete)
            opts="-h -V --reason --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --reason)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__users__subcmd__help)
            opts="list delete create reset-2fa help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__users__subcmd__help__subcmd__create)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__users__subcmd__help__subcmd__delete)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__users__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__users__subcmd__help__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__users__subcmd__help__subcmd__reset__subcmd__2fa)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__users__subcmd__list)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__users__subcmd__reset__subcmd__2fa)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__admin__subcmd__verify__subcmd__ledger)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__balance)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__completions)
            opts="-h -V --gateway --json --profile --help --version bash elvish fish powershell zsh"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__doctor)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__env)
            opts="-h -V --shell --port --gateway --json --profile --help --version claude codex"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --shell)
                    COMPREPLY=($(compgen -W "bash zsh fish powershell" -- "${cur}"))
                    return 0
                    ;;
                --port)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__gateway)
            opts="-h -V --config --listen --data-dir --print-config --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --listen)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --data-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help)
            opts="gateway register login logout reset-password verify-email whoami account keys balance usage ledger topup orders refund refunds referral pricing proxy env run setup doctor admin completions help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account)
            opts="2fa sessions password set delete resend-verification export"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account__subcmd__2fa)
            opts="enable confirm disable"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account__subcmd__2fa__subcmd__confirm)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account__subcmd__2fa__subcmd__disable)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account__subcmd__2fa__subcmd__enable)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account__subcmd__delete)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account__subcmd__export)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account__subcmd__password)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account__subcmd__resend__subcmd__verification)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account__subcmd__sessions)
            opts="list revoke revoke-others"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account__subcmd__sessions__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account__subcmd__sessions__subcmd__revoke)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account__subcmd__sessions__subcmd__revoke__subcmd__others)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__account__subcmd__set)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin)
            opts="users adjust bonus codes orders refunds suspend activate invite reset-password verify-ledger purge audit backup migrate prices upstreams"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__activate)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__adjust)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__audit)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__backup)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__bonus)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__codes)
            opts="create list show disable export"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__codes__subcmd__create)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__codes__subcmd__disable)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__codes__subcmd__export)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__codes__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__codes__subcmd__show)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__invite)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__migrate)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__orders)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__prices)
            opts="import set reset coefficient"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__prices__subcmd__coefficient)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__prices__subcmd__import)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__prices__subcmd__reset)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__prices__subcmd__set)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__purge)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__refunds)
            opts="list approve deny"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__refunds__subcmd__approve)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__refunds__subcmd__deny)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__refunds__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__reset__subcmd__password)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__suspend)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__upstreams)
            opts="list add remove add-key"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__upstreams__subcmd__add)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__upstreams__subcmd__add__subcmd__key)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__upstreams__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__upstreams__subcmd__remove)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__users)
            opts="list delete create reset-2fa"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__users__subcmd__create)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__users__subcmd__delete)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__users__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__users__subcmd__reset__subcmd__2fa)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 5 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__admin__subcmd__verify__subcmd__ledger)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__balance)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__completions)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__doctor)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__env)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__gateway)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__keys)
            opts="create list update revoke rotate use"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__keys__subcmd__create)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__keys__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__keys__subcmd__revoke)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__keys__subcmd__rotate)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__keys__subcmd__update)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__keys__subcmd__use)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__ledger)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__login)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__logout)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__orders)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__pricing)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__proxy)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__referral)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__refund)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__refunds)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__register)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__reset__subcmd__password)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__run)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__setup)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__topup)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__usage)
            opts="events sync"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__usage__subcmd__events)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__usage__subcmd__sync)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__verify__subcmd__email)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__help__subcmd__whoami)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys)
            opts="-h -V --gateway --json --profile --help --version create list update revoke rotate use help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__create)
            opts="-h -V --name --expires-in --expires-at --models --budget --rpm --tpm --no-tpm --use --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --name)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --expires-in)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --expires-at)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --models)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --budget)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --rpm)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tpm)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__help)
            opts="create list update revoke rotate use help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__help__subcmd__create)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__help__subcmd__list)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__help__subcmd__revoke)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__help__subcmd__rotate)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__help__subcmd__update)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__help__subcmd__use)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__list)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__revoke)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__rotate)
            opts="-h -V --use --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__update)
            opts="-h -V --name --expires-in --expires-at --no-expiry --models --all-models --budget --no-budget --rpm --no-rpm --tpm --no-tpm --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --name)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --expires-in)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --expires-at)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --models)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --budget)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --rpm)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tpm)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__keys__subcmd__use)
            opts="-h -V --secret-stdin --rotate --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__ledger)
            opts="-h -V --limit --before --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --limit)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --before)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__login)
            opts="-h -V --email --password-stdin --code --recovery-code --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --email)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --code)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --recovery-code)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__logout)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__orders)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__pricing)
            opts="-h -V --model --provider --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --model)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --provider)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__proxy)
            opts="-h -V --port --host --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --port)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --host)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__referral)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__refund)
            opts="-h -V --amount --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --amount)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__refunds)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__register)
            opts="-h -V --email --password-stdin --referral --invitation --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --email)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --referral)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --invitation)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__reset__subcmd__password)
            opts="-h -V --email --link --password-stdin --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --email)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --link)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__run)
            opts="-h -V --gateway --json --profile --help --version claude codex"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__setup)
            opts="-h -V --yes --port --gateway --json --profile --help --version claude codex"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --port)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__topup)
            opts="-h -V --code --amount --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --code)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --amount)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__usage)
            opts="-h -V --since --from --to --key --model --status --offline --csv --account --by --currency --no-chart --gateway --json --profile --help --version events sync help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --since)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --from)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --to)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --key)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --model)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --status)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --account)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --by)
                    COMPREPLY=($(compgen -W "day hour model key account" -- "${cur}"))
                    return 0
                    ;;
                --currency)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__usage__subcmd__events)
            opts="-h -V --since --from --to --key --model --status --offline --csv --account --limit --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --since)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --from)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --to)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --key)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --model)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --status)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --account)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --limit)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__usage__subcmd__help)
            opts="events sync help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__usage__subcmd__help__subcmd__events)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__usage__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__usage__subcmd__help__subcmd__sync)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__usage__subcmd__sync)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__verify__subcmd__email)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        codexkey__subcmd__whoami)
            opts="-h -V --gateway --json --profile --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gateway)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _codexkey -o nosort -o bashdefault -o default codexkey
else
    complete -F _codexkey -o bashdefault -o default codexkey
fi
