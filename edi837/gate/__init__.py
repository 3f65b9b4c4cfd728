"""The validation gate: the output may carry no error the input did not."""
