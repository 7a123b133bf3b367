"""A one-shot demo: it calls an output binding once and prints what happened."""

from dapr.clients import DaprClient


def main() -> None:
    with DaprClient() as client:
        try:
            client.invoke_binding("storage", "create", '{"content": "hello"}')
            print("binding invoked")
        except Exception as error:
            print(f"binding failed: {error}")


if __name__ == "__main__":
    main()
