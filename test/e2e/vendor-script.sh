#!/bin/bash
#-------------------------------------------------------------------------------------
# A script in the style of the vendor's toolkit (datasentinel_toolkit: user_api.sh,
# connection_manager_api.sh, ldap_user_api.sh): curl with -u for the token, then the
# user-token header; every body parsed with python, failing on an "error" key or on a
# write answer with more than one key. It runs a full create / display / update /
# delete cycle of roles, users and connections against the gateway's /ds-api.
#
# Usage (environment):
#   DS_URL        base URL of the gateway, e.g. http://127.0.0.1:4000   (required)
#   DS_USER       administrator login                                   (default datasentinel)
#   DS_PASSWORD   administrator password                                (required)
#   PG_HOST PG_PORT PG_USER PG_PASSWORD
#                 a PostgreSQL the connection probe can reach; when unset the script
#                 uses 127.0.0.1:1 and expects "Connection created!" (probe failed)
#   PYTHON        python interpreter (default python3)
#
# The last line printed is "vendor script: OK (<n> steps)" on success.
#-------------------------------------------------------------------------------------
set -u

DS_URL="${DS_URL:-}"
DS_USER="${DS_USER:-datasentinel}"
DS_PASSWORD="${DS_PASSWORD:-}"
PYTHON="${PYTHON:-python3}"

PG_HOST="${PG_HOST:-}"
PG_PORT="${PG_PORT:-}"
PG_USER="${PG_USER:-datasentinel}"
PG_PASSWORD="${PG_PASSWORD:-sentinel}"
if [ -z "$PG_HOST" ]; then
    PG_HOST="127.0.0.1"
    PG_PORT=1
    EXPECTED_CREATE="Connection created!"
else
    EXPECTED_CREATE="Connection created and connected!"
fi

RUN_ID="$$"
ROLE_NAME="MyNewRole-$RUN_ID"
USER_EMAIL="stephane.jambut.$RUN_ID@sfr.fr"
USER_LOGIN="stephane.jambut.$RUN_ID"
LDAP_EMAIL="ldap.user.$RUN_ID@sfr.fr"
PG_NAME="crm-production-$RUN_ID"
PG_TAGS="datacenter=paris,provider=aws,environment=production"

TMP_DIR="$(mktemp -d)"
trap 'rm -rf "$TMP_DIR"' EXIT
STEPS=0

# -------------------------------------------------------------------------------------
# python parsers, as in the toolkit
# -------------------------------------------------------------------------------------
PYTHON_TOKEN_PARSE="$(cat <<'EOF'
import sys, json
token=json.load(sys.stdin)
if 'error' in token:
    print(token['error'])
    sys.exit(1)
else:
    print(token['user-token'])
    sys.exit(0)
EOF
)"

PYTHON_RESPONSE_PARSE="$(cat <<'EOF'
import sys, json
resp=json.load(sys.stdin)
if 'error' in resp:
    print(resp['error'])
    sys.exit(1)
elif len(resp) > 1:
    print(resp)
    sys.exit(1)
else:
    print(resp['status'])
    sys.exit(0)
EOF
)"

PYTHON_ERROR_PARSE="$(cat <<'EOF'
import sys, json
resp=json.load(sys.stdin)
if 'error' in resp:
    print(resp['error'])
    sys.exit(1)
else:
    sys.exit(0)
EOF
)"

# Prints the value at a path (e.g. "role" or "0.login"); fails on an "error" key.
PYTHON_FIELD="$(cat <<'EOF'
import sys, json
resp=json.load(sys.stdin)
if isinstance(resp, dict) and 'error' in resp:
    print(resp['error'])
    sys.exit(1)
for part in sys.argv[1].split('.'):
    resp = resp[int(part)] if isinstance(resp, list) else resp[part]
print(json.dumps(resp) if not isinstance(resp, str) else resp)
EOF
)"

# -------------------------------------------------------------------------------------
# helpers
# -------------------------------------------------------------------------------------
display()
{
    echo -e "\n- $1"
    echo "----------------------------------------------------------------------------------"
    STEPS=$((STEPS + 1))
}

fail()
{
    echo -e "\nERROR $1:\n\n$2\n"
    echo "vendor script: FAILED at step $STEPS ($1)"
    exit 1
}

# call METHOD PATH [JSON_FILE]: sets RESPONSE (body) and HTTP_STATUS
call()
{
    local method=$1 path=$2 file=${3:-} out
    if [ -n "$file" ]; then
        out=$(curl -sk -w '\n%{http_code}' --header "user-token: $ACCESS_TOKEN" --header 'Content-Type: application/json' -X "$method" "$DS_URL/ds-api$path" -d @"$file")
    else
        out=$(curl -sk -w '\n%{http_code}' --header "user-token: $ACCESS_TOKEN" -X "$method" "$DS_URL/ds-api$path")
    fi
    HTTP_STATUS="${out##*$'\n'}"
    RESPONSE="${out%$'\n'*}"
}

# write METHOD PATH EXPECTED_STATUS EXPECTED_TEXT [JSON_FILE]: a write answered with exactly {"status": EXPECTED_TEXT}
write()
{
    local method=$1 path=$2 expected_status=$3 expected_text=$4 file=${5:-} status
    call "$method" "$path" "$file"
    status=$(echo "$RESPONSE" | $PYTHON -c "$PYTHON_RESPONSE_PARSE") || fail "$method $path" "$status"
    [ "$HTTP_STATUS" = "$expected_status" ] || fail "$method $path" "HTTP $HTTP_STATUS, expected $expected_status: $RESPONSE"
    [ "$status" = "$expected_text" ] || fail "$method $path" "status \"$status\", expected \"$expected_text\""
    echo "$RESPONSE" | $PYTHON -m json.tool
}

# read PATH: a display answered with 200 and no "error" key
read_ok()
{
    local path=$1 message
    call GET "$path"
    message=$(echo "$RESPONSE" | $PYTHON -c "$PYTHON_ERROR_PARSE") || fail "GET $path" "$message"
    [ "$HTTP_STATUS" = "200" ] || fail "GET $path" "HTTP $HTTP_STATUS: $RESPONSE"
    echo "$RESPONSE" | $PYTHON -m json.tool
}

# expect_field PATH VALUE: the last RESPONSE has VALUE at PATH
expect_field()
{
    local got
    got=$(echo "$RESPONSE" | $PYTHON -c "$PYTHON_FIELD" "$1") || fail "reading $1" "$got"
    [ "$got" = "$2" ] || fail "checking $1" "got $got, expected $2"
}

# expect_error METHOD PATH STATUS [JSON_FILE]: a failure answered with exactly {"error": ...} and STATUS
expect_error()
{
    local method=$1 path=$2 expected_status=$3 file=${4:-} check
    call "$method" "$path" "$file"
    check=$(echo "$RESPONSE" | $PYTHON -c 'import json,sys; r=json.load(sys.stdin); sys.exit(0 if list(r) == ["error"] else 1)') \
        || fail "$method $path" "expected exactly one error key: $RESPONSE"
    [ "$HTTP_STATUS" = "$expected_status" ] || fail "$method $path" "HTTP $HTTP_STATUS, expected $expected_status: $RESPONSE"
    echo "$RESPONSE" | $PYTHON -m json.tool
}

# -------------------------------------------------------------------------------------
# steps
# -------------------------------------------------------------------------------------
check_inputs()
{
    display "Check inputs and API status"
    [ -n "$DS_URL" ] || { echo "ERROR: DS_URL must be set"; exit 1; }
    [ -n "$DS_PASSWORD" ] || { echo "ERROR: DS_PASSWORD must be set"; exit 1; }
    type "$PYTHON" >/dev/null 2>&1 || { echo >&2 "Python is not installed!"; exit 1; }
    # The interpreter itself rather than a version-manager shim: the script starts python many times.
    PYTHON="$("$PYTHON" -c 'import sys; print(sys.executable)')"
    curl -sf -k "$DS_URL/ds-api/" >/dev/null 2>&1 || fail "checking the API" "Datasentinel API KO on $DS_URL"
    curl -s -k "$DS_URL/ds-api/" | $PYTHON -m json.tool || fail "checking the API" "not JSON"
}

generate_token()
{
    display "Generate an access token"
    RESPONSE=$(curl -sk -u "$DS_USER:$DS_PASSWORD" -X POST "$DS_URL/ds-api/user-token")
    ACCESS_TOKEN=$(echo "$RESPONSE" | $PYTHON -c "$PYTHON_TOKEN_PARSE") || fail "getting the access token" "$ACCESS_TOKEN"
    echo "OK"
}

display_token()
{
    display "Display the token"
    RESPONSE=$(curl -sk -u "$DS_USER:$DS_PASSWORD" -X GET "$DS_URL/ds-api/user-token?token=$ACCESS_TOKEN")
    expect_field user "$DS_USER"
    echo "$RESPONSE" | $PYTHON -m json.tool
}

create_connection()
{
    display "Create a new connection"
    cat > "$TMP_DIR/connection.json" <<EOF
{
  "host": "$PG_HOST",
  "port": $PG_PORT,
  "user": "$PG_USER",
  "password": "$PG_PASSWORD",
  "tags": "$PG_TAGS"
}
EOF
    write POST "/pool/pg-instances/$PG_NAME" 201 "$EXPECTED_CREATE" "$TMP_DIR/connection.json"
}

display_connection()
{
    display "Display the connection"
    read_ok "/pool/pg-instances/$PG_NAME"
    expect_field tags "$PG_TAGS"
    expect_field password "********"
}

update_connection()
{
    display "Update the connection"
    cat > "$TMP_DIR/connection.json" <<EOF
{
  "tags": "datacenter=paris,provider=azure,environment=production",
  "lock-monitoring-delay": 60
}
EOF
    write PUT "/pool/pg-instances/$PG_NAME" 200 "Connection updated!" "$TMP_DIR/connection.json"
    read_ok "/pool/pg-instances/$PG_NAME" >/dev/null
    expect_field tags "datacenter=paris,provider=azure,environment=production"
    expect_field lock-monitoring-delay 60
}

disable_enable_connection()
{
    display "Disable and enable the connection"
    write PATCH "/pool/pg-instances/$PG_NAME/disable" 200 "Connection disabled!"
    read_ok "/pool/pg-instances/$PG_NAME" >/dev/null
    expect_field enabled false
    write PATCH "/pool/pg-instances/$PG_NAME/enable" 200 "Connection enabled!"
    read_ok "/pool/pg-instances/$PG_NAME" >/dev/null
    expect_field enabled true
}

create_role()
{
    display "Create a new Role"
    cat > "$TMP_DIR/role.json" <<EOF
{
    "access": [
        {
            "filters": [
                {
                    "tag": "datacenter",
                    "value": "paris"
                }
            ]
        }
    ]
}
EOF
    write POST "/roles/$ROLE_NAME" 201 "Role name $ROLE_NAME created successfully" "$TMP_DIR/role.json"
}

display_role()
{
    display "Display role"
    read_ok "/roles/$ROLE_NAME"
    expect_field access.0.filters.0.value paris
}

update_role()
{
    display "Update role"
    cat > "$TMP_DIR/role.json" <<EOF
    {
        "access": [
            {
                "filters": [
                    {
                        "tag": "provider",
                        "value": "azure"
                    }
                ]
            }
        ]
    }
EOF
    write PUT "/roles/$ROLE_NAME" 200 "Role name $ROLE_NAME updated successfully" "$TMP_DIR/role.json"
    read_ok "/roles/$ROLE_NAME" >/dev/null
    expect_field access.0.filters.0.tag provider
}

list_roles()
{
    display "Display all roles"
    read_ok "/roles"
}

create_user()
{
    display "Create a new User"
    cat > "$TMP_DIR/user.json" <<EOF
    {
        "password": "myPassword",
        "privilege": "admin",
        "profile": "data admin",
        "live_360": 1,
        "role": "$ROLE_NAME"
    }
EOF
    write POST "/users/$USER_EMAIL" 201 "User with login $USER_LOGIN created successfully" "$TMP_DIR/user.json"
}

create_ldap_user()
{
    display "Create a new LDAP User"
    cat > "$TMP_DIR/user.json" <<EOF
    {
        "ldap": true,
        "privilege": "read",
        "profile": "developer",
        "live_360": 0,
        "role": "No restriction"
    }
EOF
    write POST "/users/$LDAP_EMAIL" 201 "User with login ldap.user.$RUN_ID created successfully" "$TMP_DIR/user.json"
}

display_user()
{
    display "Display user"
    read_ok "/users/$USER_EMAIL"
    expect_field role "$ROLE_NAME"
    expect_field live_360 1
}

update_user()
{
    display "Update user"
    cat > "$TMP_DIR/user.json" <<EOF
    {
        "privilege": "read write",
        "live_360": "0",
        "comment": "updated by the vendor-style script"
    }
EOF
    write PUT "/users/$USER_EMAIL" 200 "User with login $USER_LOGIN updated successfully" "$TMP_DIR/user.json"
    read_ok "/users/$USER_EMAIL" >/dev/null
    expect_field privilege "read write"
    expect_field live_360 0
}

list_users()
{
    display "Display all users, and the users of the role"
    read_ok "/users"
    read_ok "/roles/$ROLE_NAME/users"
    expect_field 0.email "$USER_EMAIL"
}

user_token()
{
    display "The new user signs in"
    RESPONSE=$(curl -sk -u "$USER_EMAIL:myPassword" -X POST "$DS_URL/ds-api/user-token")
    USER_TOKEN=$(echo "$RESPONSE" | $PYTHON -c "$PYTHON_TOKEN_PARSE") || fail "getting the user's token" "$USER_TOKEN"
    echo "OK"
}

delete_role_in_use()
{
    display "Delete role $ROLE_NAME - raises an error because a user has the role assigned"
    expect_error DELETE "/roles/$ROLE_NAME" 400
}

delete_users()
{
    display "Delete users"
    write DELETE "/users/$USER_EMAIL" 200 "User with login $USER_LOGIN deleted successfully"
    write DELETE "/users/$LDAP_EMAIL" 200 "User with login ldap.user.$RUN_ID deleted successfully"
    expect_error GET "/users/$USER_EMAIL" 404
}

delete_role()
{
    display "Delete role"
    write DELETE "/roles/$ROLE_NAME" 200 "Role name $ROLE_NAME deleted successfully"
    expect_error GET "/roles/$ROLE_NAME" 404
}

delete_connection()
{
    display "Delete the connection"
    write DELETE "/pool/pg-instances/$PG_NAME" 200 "Connection deleted!"
    expect_error GET "/pool/pg-instances/$PG_NAME" 404
}

#------------------------------------------------------------------------------
#  MAIN
#------------------------------------------------------------------------------
check_inputs
generate_token
display_token
create_connection
display_connection
update_connection
disable_enable_connection
create_role
display_role
update_role
list_roles
create_user
create_ldap_user
display_user
update_user
list_users
user_token
delete_role_in_use
delete_users
delete_role
delete_connection

echo
echo "vendor script: OK ($STEPS steps)"
